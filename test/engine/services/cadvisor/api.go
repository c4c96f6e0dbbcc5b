package main

// HTTP side: /healthz, the Prometheus endpoint and a read-only /api/v2.0 over the manager's
// queries. The JSON bodies are the library's model types (github.com/google/cadvisor/lib/model),
// not upstream's v2 wire types, which live in the unserved cmd module.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/google/cadvisor/lib/container"
	"github.com/google/cadvisor/lib/manager"
	"github.com/google/cadvisor/lib/metrics"
	info "github.com/google/cadvisor/lib/model"
)

// APIPrefix is where the JSON API is served.
const APIPrefix = "/api/v2.0/"

// The request kinds /api/v2.0/<kind>[/<container>] answers.
var apiKinds = map[string]bool{"version": true, "machine": true, "spec": true, "stats": true, "summary": true, "storage": true}

// NewMux registers every handler on a new mux.
func NewMux(m manager.Manager, promPath string, labels metrics.ContainerLabelsFunc, included container.MetricSet) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("ok"))
	})
	mux.Handle(promPath, prometheusHandler(m, labels, included))
	mux.HandleFunc(APIPrefix, func(w http.ResponseWriter, r *http.Request) { serveAPI(m, w, r) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		http.Error(w, "no web UI in this build: see /metrics, /healthz and "+APIPrefix+"{version,machine,spec,stats,summary,storage}", http.StatusNotFound)
	})
	return mux
}

// prometheusHandler gathers the container, machine, Go and process collectors on every scrape,
// with the latest sample of every container (recursive from /), as upstream's endpoint does;
// ?type= selects the container naming.
func prometheusHandler(m manager.Manager, labels metrics.ContainerLabelsFunc, included container.MetricSet) http.Handler {
	machine := metrics.NewPrometheusMachineCollector(m, included)
	goCollector := collectors.NewGoCollector()
	processCollector := collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		opts, err := RequestOptions(r.URL.Query())
		if err != nil {
			http.Error(w, "No metrics gathered, last error:\n\n"+err.Error(), http.StatusBadRequest)
			return
		}
		opts.Count = 1
		opts.Recursive = true
		reg := prometheus.NewRegistry()
		reg.MustRegister(metrics.NewPrometheusCollector(m, labels, included, clock.RealClock{}, opts), machine, goCollector, processCollector)
		promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}).ServeHTTP(w, r)
	})
}

// RequestOptions reads type, count, recursive and max_age from a query, with upstream's
// defaults (type=name, count=64, not recursive, no max age).
func RequestOptions(q url.Values) (info.RequestOptions, error) {
	opt := info.RequestOptions{IdType: info.TypeName, Count: 64}
	if t := q.Get("type"); t != "" {
		if t != info.TypeName && t != info.TypeDocker && t != info.TypePodman {
			return opt, fmt.Errorf("unknown 'type' %q", t)
		}
		opt.IdType = t
	}
	if c := q.Get("count"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil {
			return opt, fmt.Errorf("failed to parse 'count' option: %q", c)
		}
		if n < -1 {
			return opt, fmt.Errorf("invalid 'count' option: only -1 and larger values allowed, not %d", n)
		}
		opt.Count = n
	}
	opt.Recursive = q.Get("recursive") == "true"
	if a := q.Get("max_age"); a != "" {
		d, err := time.ParseDuration(a)
		if err != nil {
			return opt, fmt.Errorf("failed to parse 'max_age' option: %v", err)
		}
		opt.MaxAge = &d
	}
	return opt, nil
}

// APIRequest splits an /api/v2.0/<kind>[/<container>] path into the kind and the container name
// ("/" when none is given; a docker id or name when ?type=docker).
func APIRequest(path string) (kind, name string, err error) {
	rest, ok := strings.CutPrefix(path, APIPrefix)
	if !ok {
		return "", "", fmt.Errorf("not an API path: %q", path)
	}
	kind, name, _ = strings.Cut(rest, "/")
	if !apiKinds[kind] {
		return "", "", fmt.Errorf("unknown request type %q", kind)
	}
	return kind, "/" + strings.Trim(name, "/"), nil
}

// ContainerResult is one container's spec and samples in /api/v2.0/stats.
type ContainerResult struct {
	Spec  info.ContainerSpec     `json:"spec"`
	Stats []*info.ContainerStats `json:"stats"`
}

func serveAPI(m manager.Manager, w http.ResponseWriter, r *http.Request) {
	kind, name, err := APIRequest(r.URL.Path)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	opt, err := RequestOptions(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	result, err := query(m, kind, name, opt, r.URL.Query().Get("label"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(result); err != nil {
		klog.Errorf("writing the %s response: %v", kind, err)
	}
}

func query(m manager.Manager, kind, name string, opt info.RequestOptions, label string) (any, error) {
	switch kind {
	case "version":
		v, err := m.GetVersionInfo()
		if err != nil {
			return nil, err
		}
		return v.CadvisorVersion, nil
	case "machine":
		return m.GetMachineInfo()
	case "spec":
		return m.GetContainerSpec(name, opt)
	case "summary":
		return m.GetDerivedStats(name, opt)
	case "storage":
		return m.GetFsInfo(label)
	default: // stats
		infos, err := m.GetRequestedContainersInfo(name, opt)
		if err != nil && len(infos) == 0 {
			return nil, err
		}
		if err != nil {
			klog.Errorf("partial stats for %q: %v", name, err)
		}
		out := make(map[string]ContainerResult, len(infos))
		for n, ci := range infos {
			out[n] = ContainerResult{Spec: ci.Spec, Stats: ci.Stats}
		}
		return out, nil
	}
}
