// Package config holds the one typed configuration of newsflow. Every
// setting is a field with its environment variable (NEWSFLOW_ + env tag),
// its flag, its default and its help text; Load fills a Config from
// defaults, the environment and flags, in that order of precedence
// (flags win), and Validate checks what a stage needs, naming the setting
// in every error.
package config

import (
	"errors"
	"fmt"
	"net/netip"

	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix prefixes the env tag of every setting.
const EnvPrefix = "NEWSFLOW_"

// Config is the whole configuration. Zero values are not meaningful: start
// from Default or Load.
type Config struct {
	Kafka         Kafka
	Topics        Topics
	Elasticsearch Elasticsearch
	Kibana        Kibana
	Ingest        Ingest
	Enrich        Enrich
	Index         Index
	Telemetry     Telemetry
}

// Kafka is how every stage reaches the broker.
type Kafka struct {
	Brokers           []string      `env:"KAFKA_BROKERS" flag:"kafka-brokers" default:"127.0.0.1:9092" help:"Kafka bootstrap brokers, comma-separated host:port."`
	ClientID          string        `env:"KAFKA_CLIENT_ID" flag:"kafka-client-id" default:"newsflow" help:"Client id sent to Kafka, shown in broker logs and quotas."`
	Partitions        int           `env:"KAFKA_PARTITIONS" flag:"kafka-partitions" default:"6" help:"Partitions of each topic that setup creates; the most replicas of a stage that can share work."`
	ReplicationFactor int           `env:"KAFKA_REPLICATION_FACTOR" flag:"kafka-replication-factor" default:"1" help:"Replication factor of the topics that setup creates."`
	WriteTimeout      time.Duration `env:"KAFKA_WRITE_TIMEOUT" flag:"kafka-write-timeout" default:"30s" help:"How long a publish may wait for acknowledgement by all in-sync replicas before it is retried."`
}

// Topics names the Kafka topics.
type Topics struct {
	Feeds      string `env:"TOPIC_FEEDS" flag:"topic-feeds" default:"news.feeds" help:"Compacted topic of the feed list, keyed by feed URL."`
	FeedState  string `env:"TOPIC_FEED_STATE" flag:"topic-feed-state" default:"news.feed-state" help:"Compacted topic of per-feed polling state, keyed by feed URL."`
	FeedHealth string `env:"TOPIC_FEED_HEALTH" flag:"topic-feed-health" default:"news.feed-health" help:"Compacted topic of feed health changes, keyed by feed URL."`
	Raw        string `env:"TOPIC_RAW" flag:"topic-raw" default:"news.articles.raw" help:"Articles as ingested, keyed by article id."`
	Enriched   string `env:"TOPIC_ENRICHED" flag:"topic-enriched" default:"news.articles.enriched" help:"Enriched articles, keyed by article id; the topic other services consume."`
	DLQ        string `env:"TOPIC_DLQ" flag:"topic-dlq" default:"news.articles.dlq" help:"Messages a stage could not process, with the reason in headers."`
}

// Elasticsearch is how setup, index and search reach the cluster.
type Elasticsearch struct {
	URLs     []string `env:"ES_URL" flag:"es-url" default:"http://127.0.0.1:9200" help:"Elasticsearch node URLs, comma-separated."`
	Username string   `env:"ES_USERNAME" flag:"es-username" help:"User for basic authentication."`
	Password string   `env:"ES_PASSWORD" flag:"es-password" secret:"true" help:"Password for basic authentication."`
	APIKey   string   `env:"ES_API_KEY" flag:"es-api-key" secret:"true" help:"API key (the base64 id:key form), instead of a user and password."`
	CACert   string   `env:"ES_CA_CERT" flag:"es-ca-cert" help:"PEM file of the CA that signed the cluster's HTTP certificate."`
	Alias    string   `env:"ES_INDEX" flag:"es-index" default:"news-articles" help:"Alias analysts search and the indexer writes to; indices are named after it."`
}

// Kibana is where setup imports saved objects.
type Kibana struct {
	URL string `env:"KIBANA_URL" flag:"kibana-url" help:"Kibana base URL; when set, setup imports the saved objects in deploy/kibana."`
}

// Ingest configures the feed poller.
type Ingest struct {
	Feeds          string        `env:"FEEDS" flag:"feeds" help:"Feed list file (YAML or OPML) that ingest imports into the feeds topic at start; empty: poll the feeds topic as it is (see newsflow feeds import)."`
	Group          string        `env:"INGEST_GROUP" flag:"ingest-group" default:"newsflow-ingest" help:"Kafka consumer group of the ingest replicas; each polls the feeds of the feeds-topic partitions it owns."`
	PollInterval   time.Duration `env:"POLL_INTERVAL" flag:"poll-interval" default:"15m" help:"Interval of a feed before its publishing rate is known."`
	MinInterval    time.Duration `env:"POLL_MIN_INTERVAL" flag:"poll-min-interval" default:"5m" help:"Shortest adaptive poll interval, unless a feed sets min_interval."`
	MaxInterval    time.Duration `env:"POLL_MAX_INTERVAL" flag:"poll-max-interval" default:"2h" help:"Longest adaptive poll interval, unless a feed sets max_interval."`
	FirstSpread    time.Duration `env:"POLL_FIRST_SPREAD" flag:"poll-first-spread" default:"1m" help:"Window over which the first polls of feeds without saved state are spread, so a new list does not hit every server at once."`
	MaxBackoff     time.Duration `env:"POLL_MAX_BACKOFF" flag:"poll-max-backoff" default:"6h" help:"Longest wait between polls of a failing feed; failing feeds are retried forever."`
	FetchTimeout   time.Duration `env:"FETCH_TIMEOUT" flag:"fetch-timeout" default:"30s" help:"Total time allowed for one feed fetch, body included."`
	ConnectTimeout time.Duration `env:"FETCH_CONNECT_TIMEOUT" flag:"fetch-connect-timeout" default:"10s" help:"Time allowed for a TCP connect and for a TLS handshake."`
	MaxBodyBytes   int64         `env:"FETCH_MAX_BYTES" flag:"fetch-max-bytes" default:"10MiB" unit:"bytes" help:"Largest feed or page body read, after decompression; a larger one fails with an error."`
	UserAgent      string        `env:"USER_AGENT" flag:"user-agent" default:"newsflow/1 (+https://github.com/newsflow/newsflow)" help:"User-Agent header of feed requests."`
	Concurrency    int           `env:"FETCH_CONCURRENCY" flag:"fetch-concurrency" default:"64" help:"Feeds fetched at once by one replica."`
	DomainConns    int           `env:"FETCH_DOMAIN_CONCURRENCY" flag:"fetch-domain-concurrency" default:"2" help:"Requests at once to one registrable domain (eTLD+1)."`
	DomainDelay    time.Duration `env:"FETCH_DOMAIN_DELAY" flag:"fetch-domain-delay" default:"1s" help:"Least time between the starts of two requests to one registrable domain."`
	AllowNetworks  []string      `env:"INGEST_ALLOW_NETWORKS" flag:"ingest-allow-networks" help:"CIDRs the fetcher may reach although they are loopback, private or link-local (refused otherwise), comma-separated, e.g. 127.0.0.1/32 for a local feed server."`
}

// Enrich configures the enrichment workers.
type Enrich struct {
	Taxonomy  string `env:"TAXONOMY" flag:"taxonomy" default:"deploy/taxonomy.yaml" help:"Topic taxonomy file (YAML)."`
	Group     string `env:"ENRICH_GROUP" flag:"enrich-group" default:"newsflow-enrich" help:"Kafka consumer group of the enrich stage."`
	BatchSize int    `env:"ENRICH_BATCH_SIZE" flag:"enrich-batch-size" default:"500" help:"Most messages enriched and published per batch."`
	// Workers bounds the articles a replica enriches at once; articles
	// with one key are always enriched in order.
	Workers     int           `env:"ENRICH_WORKERS" flag:"enrich-workers" default:"0" help:"Articles enriched in parallel by one replica; 0 means one per CPU."`
	StoryWindow time.Duration `env:"ENRICH_STORY_WINDOW" flag:"enrich-story-window" default:"72h" help:"How far apart in publication time two articles of one story may be; each replica reads this much of the enriched topic back at start."`
	StoryMax    int           `env:"ENRICH_STORY_MAX" flag:"enrich-story-max" default:"100000" help:"Most recent articles the story index remembers (about 1.5 KiB each)."`
	ReplayGroup string        `env:"ENRICH_REPLAY_GROUP" flag:"enrich-replay-group" help:"Consumer group of enrich --replay; empty names it after the enrich version."`
}

// Index configures the Elasticsearch writer.
type Index struct {
	Group         string        `env:"INDEX_GROUP" flag:"index-group" default:"newsflow-index" help:"Kafka consumer group of the index stage."`
	BatchSize     int           `env:"INDEX_BATCH_SIZE" flag:"index-batch-size" default:"1000" help:"Most documents in one bulk request."`
	FlushInterval time.Duration `env:"INDEX_FLUSH_INTERVAL" flag:"index-flush-interval" default:"250ms" help:"Longest a document waits for its batch to fill before the batch is written; batches close earlier at NEWSFLOW_INDEX_BATCH_SIZE documents or NEWSFLOW_INDEX_FLUSH_BYTES."`
	FlushBytes    int64         `env:"INDEX_FLUSH_BYTES" flag:"index-flush-bytes" default:"5MiB" unit:"bytes" help:"Largest bulk request body."`
	MaxBackoff    time.Duration `env:"INDEX_MAX_BACKOFF" flag:"index-max-backoff" default:"30s" help:"Longest wait between retries of a bulk write while Elasticsearch is unavailable or overloaded."`
}

// Telemetry configures logs and the health and metrics listener.
type Telemetry struct {
	LogLevel  string `env:"LOG_LEVEL" flag:"log-level" default:"info" help:"debug, info, warn or error."`
	LogFormat string `env:"LOG_FORMAT" flag:"log-format" default:"text" help:"text or json."`
	HTTPAddr  string `env:"HTTP_ADDR" flag:"http-addr" default:":8080" help:"Listen address of /healthz, /readyz and /metrics; empty turns it off."`
	// ShutdownTimeout bounds the drain after SIGTERM.
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" flag:"shutdown-timeout" default:"20s" help:"After SIGTERM, how long the stages may take to stop consuming, finish the batch in hand, flush and commit; the process exits at the latest 2s later, and at once on a second signal."`
}

// Needs says which parts of the configuration a command uses, so Validate
// checks only those.
type Needs uint

// The parts a command can need.
const (
	NeedKafka Needs = 1 << iota
	NeedElasticsearch
	NeedFeeds
	NeedTaxonomy
	NeedIndex
)

// Validate checks the settings that needs selects and returns every
// problem at once, each naming its setting.
func (c *Config) Validate(needs Needs) error {
	var errs []error
	bad := func(field any, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", Name(c, field), fmt.Sprintf(format, args...)))
	}
	if needs&NeedKafka != 0 {
		if len(c.Kafka.Brokers) == 0 {
			bad(&c.Kafka.Brokers, "no broker given")
		}
		for _, b := range c.Kafka.Brokers {
			if err := checkHostPort(b); err != nil {
				bad(&c.Kafka.Brokers, "%q: %v", b, err)
			}
		}
		if c.Kafka.Partitions < 1 {
			bad(&c.Kafka.Partitions, "must be at least 1, got %d", c.Kafka.Partitions)
		}
		if c.Kafka.ReplicationFactor < 1 {
			bad(&c.Kafka.ReplicationFactor, "must be at least 1, got %d", c.Kafka.ReplicationFactor)
		}
		if c.Kafka.WriteTimeout <= 0 {
			bad(&c.Kafka.WriteTimeout, "must be positive")
		}
		for _, t := range []*string{&c.Topics.Feeds, &c.Topics.FeedState, &c.Topics.FeedHealth, &c.Topics.Raw, &c.Topics.Enriched, &c.Topics.DLQ} {
			if err := checkTopic(*t); err != nil {
				bad(t, "%v", err)
			}
		}
	}
	if needs&NeedElasticsearch != 0 {
		if len(c.Elasticsearch.URLs) == 0 {
			bad(&c.Elasticsearch.URLs, "no URL given")
		}
		for _, raw := range c.Elasticsearch.URLs {
			u, err := url.Parse(raw)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad(&c.Elasticsearch.URLs, "%q is not an http(s) URL", raw)
			}
		}
		if (c.Elasticsearch.Username == "") != (c.Elasticsearch.Password == "") {
			bad(&c.Elasticsearch.Password, "a user and a password go together; set both or neither")
		}
		if c.Elasticsearch.APIKey != "" && c.Elasticsearch.Username != "" {
			bad(&c.Elasticsearch.APIKey, "set an API key or a user and password, not both")
		}
		if c.Elasticsearch.CACert != "" {
			if _, err := os.Stat(c.Elasticsearch.CACert); err != nil {
				bad(&c.Elasticsearch.CACert, "%v", err)
			}
		}
		if err := checkIndexName(c.Elasticsearch.Alias); err != nil {
			bad(&c.Elasticsearch.Alias, "%v", err)
		}
		if c.Kibana.URL != "" {
			if u, err := url.Parse(c.Kibana.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad(&c.Kibana.URL, "%q is not an http(s) URL", c.Kibana.URL)
			}
		}
	}
	if needs&NeedFeeds != 0 {
		if c.Ingest.Feeds != "" {
			if _, err := os.Stat(c.Ingest.Feeds); err != nil {
				bad(&c.Ingest.Feeds, "%v", err)
			}
		}
		if c.Ingest.Group == "" {
			bad(&c.Ingest.Group, "must not be empty")
		}
		if c.Ingest.MinInterval < time.Second || c.Ingest.MaxInterval < c.Ingest.MinInterval {
			bad(&c.Ingest.MaxInterval, "%s and %s (NEWSFLOW_POLL_MIN_INTERVAL) do not make a range of at least 1s", c.Ingest.MaxInterval, c.Ingest.MinInterval)
		}
		if c.Ingest.MaxBackoff < c.Ingest.MinInterval {
			bad(&c.Ingest.MaxBackoff, "must be at least the minimum interval %s", c.Ingest.MinInterval)
		}
		if c.Ingest.ConnectTimeout <= 0 {
			bad(&c.Ingest.ConnectTimeout, "must be positive")
		}
		if c.Ingest.DomainConns < 1 {
			bad(&c.Ingest.DomainConns, "must be at least 1, got %d", c.Ingest.DomainConns)
		}
		if c.Ingest.DomainDelay < 0 {
			bad(&c.Ingest.DomainDelay, "must not be negative")
		}
		for _, n := range c.Ingest.AllowNetworks {
			if _, err := netip.ParsePrefix(n); err != nil {
				if _, err := netip.ParseAddr(n); err != nil {
					bad(&c.Ingest.AllowNetworks, "%q is not a CIDR such as 127.0.0.1/32", n)
				}
			}
		}
		if c.Ingest.PollInterval < time.Second {
			bad(&c.Ingest.PollInterval, "must be at least 1s, got %s", c.Ingest.PollInterval)
		}
		if c.Ingest.FetchTimeout <= 0 {
			bad(&c.Ingest.FetchTimeout, "must be positive")
		}
		if c.Ingest.MaxBodyBytes < 1024 {
			bad(&c.Ingest.MaxBodyBytes, "must be at least 1KiB, got %d bytes", c.Ingest.MaxBodyBytes)
		}
		if c.Ingest.Concurrency < 1 {
			bad(&c.Ingest.Concurrency, "must be at least 1, got %d", c.Ingest.Concurrency)
		}
	}
	if needs&NeedTaxonomy != 0 {
		if c.Enrich.Taxonomy == "" {
			bad(&c.Enrich.Taxonomy, "no taxonomy file given")
		} else if _, err := os.Stat(c.Enrich.Taxonomy); err != nil {
			bad(&c.Enrich.Taxonomy, "%v", err)
		}
		if c.Enrich.Group == "" {
			bad(&c.Enrich.Group, "must not be empty")
		}
		if c.Enrich.BatchSize < 1 {
			bad(&c.Enrich.BatchSize, "must be at least 1, got %d", c.Enrich.BatchSize)
		}
		if c.Enrich.Workers < 0 {
			bad(&c.Enrich.Workers, "must be 0 (one per CPU) or more, got %d", c.Enrich.Workers)
		}
		if c.Enrich.StoryWindow <= 0 {
			bad(&c.Enrich.StoryWindow, "must be positive")
		}
		if c.Enrich.StoryMax < 1 {
			bad(&c.Enrich.StoryMax, "must be at least 1, got %d", c.Enrich.StoryMax)
		}
	}
	if needs&NeedIndex != 0 {
		if c.Index.Group == "" {
			bad(&c.Index.Group, "must not be empty")
		}
		if c.Index.BatchSize < 1 {
			bad(&c.Index.BatchSize, "must be at least 1, got %d", c.Index.BatchSize)
		}
		if c.Index.FlushInterval <= 0 {
			bad(&c.Index.FlushInterval, "must be positive")
		}
		if c.Index.FlushBytes < 1024 {
			bad(&c.Index.FlushBytes, "must be at least 1KiB, got %d bytes", c.Index.FlushBytes)
		}
		if c.Index.MaxBackoff < 10*time.Millisecond {
			bad(&c.Index.MaxBackoff, "must be at least 10ms, got %s", c.Index.MaxBackoff)
		}
	}
	if addr := c.Telemetry.HTTPAddr; addr != "" {
		if _, port, err := net.SplitHostPort(addr); err != nil {
			bad(&c.Telemetry.HTTPAddr, "%q is not a listen address such as :8080 or 127.0.0.1:8080", addr)
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			bad(&c.Telemetry.HTTPAddr, "%q has no port number from 0 to 65535", addr)
		}
	}
	if c.Telemetry.ShutdownTimeout <= 0 {
		bad(&c.Telemetry.ShutdownTimeout, "must be positive")
	}
	switch c.Telemetry.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad(&c.Telemetry.LogLevel, "%q is not one of debug, info, warn, error", c.Telemetry.LogLevel)
	}
	switch c.Telemetry.LogFormat {
	case "text", "json":
	default:
		bad(&c.Telemetry.LogFormat, "%q is not text or json", c.Telemetry.LogFormat)
	}
	return errors.Join(errs...)
}

func checkHostPort(s string) error {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		return errors.New("want host:port")
	}
	for _, r := range s[i+1:] {
		if r < '0' || r > '9' {
			return errors.New("port is not a number")
		}
	}
	return nil
}

// checkTopic applies Kafka's topic name rules.
func checkTopic(name string) error {
	if name == "" || len(name) > 249 || name == "." || name == ".." {
		return fmt.Errorf("%q is not a valid topic name", name)
	}
	for _, r := range name {
		if !(r == '.' || r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return fmt.Errorf("topic name %q has %q; use letters, digits, '.', '_' and '-'", name, r)
		}
	}
	return nil
}

// checkIndexName applies Elasticsearch's index and alias name rules.
func checkIndexName(name string) error {
	if name == "" || len(name) > 200 {
		return fmt.Errorf("%q is not a valid index name", name)
	}
	if name != strings.ToLower(name) {
		return fmt.Errorf("index name %q must be lower case", name)
	}
	if strings.ContainsAny(name, `\/*?"<>| ,#:`) || strings.HasPrefix(name, "-") || strings.HasPrefix(name, "_") || strings.HasPrefix(name, "+") {
		return fmt.Errorf("index name %q has a character Elasticsearch refuses", name)
	}
	return nil
}
