package config

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultsAreValid(t *testing.T) {
	c := Default()
	if err := c.Validate(NeedKafka | NeedElasticsearch | NeedIndex); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if c.Ingest.MaxBodyBytes != 10<<20 {
		t.Errorf("default body cap = %d, want 10 MiB", c.Ingest.MaxBodyBytes)
	}
}

func TestEveryFieldIsASetting(t *testing.T) {
	seenEnv, seenFlag := map[string]bool{}, map[string]bool{}
	for _, s := range Settings(Default()) {
		if s.Flag == "" || s.Help == "" {
			t.Errorf("%s lacks a flag or help text", s.Env)
		}
		if seenEnv[s.Env] || seenFlag[s.Flag] {
			t.Errorf("%s / --%s is declared twice", s.Env, s.Flag)
		}
		seenEnv[s.Env], seenFlag[s.Flag] = true, true
	}
}

func TestLoadPrecedence(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c, err := Load(fs, []string{"--kafka-partitions", "12"}, env(map[string]string{
		"NEWSFLOW_KAFKA_PARTITIONS": "3",
		"NEWSFLOW_KAFKA_BROKERS":    "k1:9092, k2:9092",
		"NEWSFLOW_POLL_INTERVAL":    "90s",
		"NEWSFLOW_FETCH_MAX_BYTES":  "2MiB",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Kafka.Partitions != 12 {
		t.Errorf("flag did not win over env: partitions = %d", c.Kafka.Partitions)
	}
	if got := strings.Join(c.Kafka.Brokers, "|"); got != "k1:9092|k2:9092" {
		t.Errorf("brokers = %q", got)
	}
	if c.Ingest.PollInterval != 90*time.Second || c.Ingest.MaxBodyBytes != 2<<20 {
		t.Errorf("poll interval %s, body cap %d", c.Ingest.PollInterval, c.Ingest.MaxBodyBytes)
	}
}

func TestLoadNamesTheBadVariable(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	_, err := Load(fs, nil, env(map[string]string{"NEWSFLOW_POLL_INTERVAL": "often"}))
	if err == nil || !strings.Contains(err.Error(), "NEWSFLOW_POLL_INTERVAL") {
		t.Fatalf("error %v does not name NEWSFLOW_POLL_INTERVAL", err)
	}
}

func TestValidateNamesEverySetting(t *testing.T) {
	tests := []struct {
		name   string
		needs  Needs
		mutate func(c *Config)
		want   string
	}{
		{"no brokers", NeedKafka, func(c *Config) { c.Kafka.Brokers = nil }, "NEWSFLOW_KAFKA_BROKERS (--kafka-brokers): no broker given"},
		{"broker without port", NeedKafka, func(c *Config) { c.Kafka.Brokers = []string{"kafka"} }, "NEWSFLOW_KAFKA_BROKERS"},
		{"bad topic", NeedKafka, func(c *Config) { c.Topics.Raw = "news articles" }, "NEWSFLOW_TOPIC_RAW"},
		{"zero partitions", NeedKafka, func(c *Config) { c.Kafka.Partitions = 0 }, "NEWSFLOW_KAFKA_PARTITIONS"},
		{"es url", NeedElasticsearch, func(c *Config) { c.Elasticsearch.URLs = []string{"localhost:9200"} }, "NEWSFLOW_ES_URL"},
		{"user without password", NeedElasticsearch, func(c *Config) { c.Elasticsearch.Username = "elastic" }, "NEWSFLOW_ES_PASSWORD"},
		{"upper-case alias", NeedElasticsearch, func(c *Config) { c.Elasticsearch.Alias = "News" }, "NEWSFLOW_ES_INDEX"},
		{"missing feed list", NeedFeeds, func(c *Config) { c.Ingest.Feeds = "/nonexistent/feeds.yaml" }, "NEWSFLOW_FEEDS"},
		{"bad allow network", NeedFeeds, func(c *Config) { c.Ingest.AllowNetworks = []string{"localhost"} }, "NEWSFLOW_INGEST_ALLOW_NETWORKS"},
		{"interval bounds", NeedFeeds, func(c *Config) { c.Ingest.MinInterval, c.Ingest.MaxInterval = time.Hour, time.Minute }, "NEWSFLOW_POLL_MAX_INTERVAL"},
		{"no ingest group", NeedFeeds, func(c *Config) { c.Ingest.Group = "" }, "NEWSFLOW_INGEST_GROUP"},
		{"missing taxonomy", NeedTaxonomy, func(c *Config) { c.Enrich.Taxonomy = "/nonexistent/taxonomy.yaml" }, "NEWSFLOW_TAXONOMY"},
		{"log level", 0, func(c *Config) { c.Telemetry.LogLevel = "loud" }, "NEWSFLOW_LOG_LEVEL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mutate(c)
			err := c.Validate(tt.needs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestSecretsAreRedacted(t *testing.T) {
	c := Default()
	c.Elasticsearch.Password = "hunter2"
	for _, s := range Settings(c) {
		if strings.Contains(s.Value(), "hunter2") {
			t.Errorf("%s shows the secret", s.Env)
		}
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"10MiB": 10 << 20, "512KiB": 512 << 10, "1GiB": 1 << 30, "2048": 2048, "5 MB": 5e6} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "ten", "-1", "99999999999GiB"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) succeeded", in)
		}
	}
}
