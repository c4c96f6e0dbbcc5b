// Command cadvisor is a cAdvisor collector built from cAdvisor's library modules,
// github.com/google/cadvisor (container plugins) and github.com/google/cadvisor/lib (manager,
// metrics, cache), because the module holding upstream's own main package
// (github.com/google/cadvisor/cmd) is not served by the Go module proxy.
//
// It is this project's code, modelled on what upstream's cmd/cadvisor.go does: the manager over
// the in-memory cache, the docker container handler registered by a blank import of its install
// package (the raw cgroup handler is registered by the manager itself), the Prometheus collectors
// on -prometheus_endpoint, /healthz, and a read-only /api/v2.0 over the manager's queries. The
// flags the stack passes (-port, -docker_only, -housekeeping_interval, -store_container_labels)
// and the klog flags (-logtostderr, -v) behave as upstream's. Not here: the web UI, storage
// drivers, HTTP auth, perf_event/resctrl/process-list/application-metrics plugins, cloud
// provider detection (see test/engine/services/README.md).
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/klog/v2"

	_ "github.com/google/cadvisor/container/docker/install" // registers the "docker" container plugin
	"github.com/google/cadvisor/lib/cache/memory"
	"github.com/google/cadvisor/lib/container"
	"github.com/google/cadvisor/lib/manager"
	"github.com/google/cadvisor/lib/metrics"
	info "github.com/google/cadvisor/lib/model"
	"github.com/google/cadvisor/lib/utils/sysfs"
	"github.com/google/cadvisor/lib/version"
	"github.com/google/cadvisor/summary"
)

var (
	listenIP                   = flag.String("listen_ip", "", "IP to listen on, defaults to all IPs")
	port                       = flag.Int("port", 8080, "port to listen")
	maxProcs                   = flag.Int("max_procs", 0, "max number of CPUs that can be used simultaneously. Less than 1 for default (number of cores).")
	showVersion                = flag.Bool("version", false, "print cAdvisor version and exit")
	prometheusEndpoint         = flag.String("prometheus_endpoint", "/metrics", "Endpoint to expose Prometheus metrics on")
	storeContainerLabels       = flag.Bool("store_container_labels", true, "convert container labels and environment variables into labels on prometheus metrics for each container. If false, only the container name, first alias and image name are exported")
	whitelistedContainerLabels = flag.String("whitelisted_container_labels", "", "comma separated list of container labels to be converted to labels on prometheus metrics for each container. store_container_labels must be false for this to take effect.")
	envMetadataWhiteList       = flag.String("env_metadata_whitelist", "", "a comma-separated list of environment variable keys matched with specified prefix that needs to be collected for containers (docker only here)")
	rawCgroupPrefixWhiteList   = flag.String("raw_cgroup_prefix_whitelist", "", "A comma-separated list of cgroup path prefix that needs to be collected even when -docker_only is specified")
	urlBasePrefix              = flag.String("url_base_prefix", "", "prefix path that will be prepended to all paths to support some reverse proxies")
	storageDuration            = flag.Duration("storage_duration", 2*time.Minute, "How long to keep data stored in memory")
)

// The metric kinds upstream leaves out unless asked for (its -disable_metrics default).
var (
	disabledMetrics = container.MetricSet{
		container.MemoryNumaMetrics:              struct{}{},
		container.NetworkTcpUsageMetrics:         struct{}{},
		container.NetworkUdpUsageMetrics:         struct{}{},
		container.NetworkAdvancedTcpUsageMetrics: struct{}{},
		container.ProcessSchedulerMetrics:        struct{}{},
		container.ProcessMetrics:                 struct{}{},
		container.HugetlbUsageMetrics:            struct{}{},
		container.ReferencedMemoryMetrics:        struct{}{},
		container.CPUTopologyMetrics:             struct{}{},
		container.ResctrlMetrics:                 struct{}{},
		container.CPUSetMetrics:                  struct{}{},
	}
	enabledMetrics = container.MetricSet{}
)

func init() {
	kinds := container.AllMetrics.String()
	flag.Var(&disabledMetrics, "disable_metrics", fmt.Sprintf("comma-separated list of `metrics` to be disabled. Options are %s.", kinds))
	flag.Var(&enabledMetrics, "enable_metrics", fmt.Sprintf("comma-separated list of `metrics` to be enabled. If set, overrides -disable_metrics. Options are %s.", kinds))
	// Derived (percentile) stats for /api/v2.0/summary: the library leaves this seam empty.
	manager.SummaryReaderFactory = func(spec info.ContainerSpec) (manager.SummaryReader, error) {
		return summary.New(spec)
	}
}

// IncludedMetrics is the set the manager collects: the enabled set when one was given, else
// every kind except the disabled ones (upstream's rule).
func IncludedMetrics(enabled, disabled container.MetricSet) container.MetricSet {
	if len(enabled) > 0 {
		return enabled
	}
	return container.AllMetrics.Difference(disabled)
}

// ContainerLabels picks the label function for the Prometheus series: every container label and
// env var, or (store_container_labels=false) only id, name, image and the allowlisted labels.
func ContainerLabels(store bool, allowlist string) metrics.ContainerLabelsFunc {
	if store {
		return metrics.DefaultContainerLabels
	}
	return metrics.BaseContainerLabels(strings.Split(allowlist, ","))
}

// ListenAddress is host:port for the HTTP server (all addresses when ip is empty).
func ListenAddress(ip string, port int) string {
	return net.JoinHostPort(ip, strconv.Itoa(port))
}

// VersionLine is what -version prints.
func VersionLine(v map[string]string) string {
	return fmt.Sprintf("cAdvisor version %s (%s)", v["version"], v["revision"])
}

func main() {
	klog.InitFlags(nil)
	_ = flag.Set("v", "2") // upstream's default verbosity; -v on the command line overrides it
	defer klog.Flush()
	flag.Parse()

	if *showVersion {
		fmt.Println(VersionLine(version.Info))
		return
	}
	included := IncludedMetrics(enabledMetrics, disabledMetrics)
	klog.V(1).Infof("enabled metrics: %s", included.String())
	if *maxProcs > 0 {
		runtime.GOMAXPROCS(*maxProcs)
	}

	// strings.Split, not a filtered list: the raw handler treats [""] as "no allowlist".
	m, err := manager.New(memory.New(*storageDuration, nil), sysfs.NewRealSysFs(), manager.HousekeepingConfigFlags,
		included, strings.Split(*rawCgroupPrefixWhiteList, ","), strings.Split(*envMetadataWhiteList, ","), "", 0)
	if err != nil {
		klog.Fatalf("Failed to create a manager: %v", err)
	}
	mux := NewMux(m, *prometheusEndpoint, ContainerLabels(*storeContainerLabels, *whitelistedContainerLabels), included)
	if err := m.Start(); err != nil {
		klog.Fatalf("Failed to start manager: %v", err)
	}
	stopOnSignal(m)

	root := http.NewServeMux()
	root.Handle(*urlBasePrefix+"/", http.StripPrefix(*urlBasePrefix, mux))
	addr := ListenAddress(*listenIP, *port)
	klog.V(1).Infof("Starting cAdvisor version: %s-%s on %s", version.Info["version"], version.Info["revision"], addr)
	srv := &http.Server{Addr: addr, Handler: root, ReadHeaderTimeout: 10 * time.Second}
	klog.Fatal(srv.ListenAndServe())
}

func stopOnSignal(m manager.Manager) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-c
		if err := m.Stop(); err != nil {
			klog.Errorf("Failed to stop container manager: %v", err)
		}
		klog.Infof("Exiting given signal: %v", sig)
		klog.Flush()
		os.Exit(0)
	}()
}
