// Package deploy holds what runs newsflow outside a developer's machine:
// the container image (Dockerfile), Prometheus scrape and alert rules,
// the Grafana dashboard and the Kubernetes manifests, with the feed list
// and taxonomy the stages load. Its tests check those files against the
// code, since no container engine or cluster runs where the tests do: the
// repository's docker-compose.yml, the rules' metric names, the
// manifests' probes and resources.
package deploy
