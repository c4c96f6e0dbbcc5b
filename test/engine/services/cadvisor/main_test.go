package main

import (
	"net/url"
	"testing"

	"github.com/google/cadvisor/lib/container"
	info "github.com/google/cadvisor/lib/model"
)

func TestIncludedMetrics(t *testing.T) {
	got := IncludedMetrics(container.MetricSet{}, disabledMetrics)
	if got.Has(container.NetworkTcpUsageMetrics) || !got.Has(container.CpuUsageMetrics) || !got.Has(container.MemoryUsageMetrics) {
		t.Fatalf("default set: %s", got.String())
	}
	only := container.MetricSet{container.CpuUsageMetrics: struct{}{}}
	if got := IncludedMetrics(only, disabledMetrics); got.String() != "cpu" {
		t.Fatalf("enabled set overrides: %s", got.String())
	}
}

func TestContainerLabels(t *testing.T) {
	ci := &info.ContainerInfo{ContainerReference: info.ContainerReference{Name: "/docker/abc", Aliases: []string{"web", "abc"}}}
	ci.Spec.Image = "img:1"
	ci.Spec.Labels = map[string]string{"team": "a", "other": "b"}
	base := ContainerLabels(false, "team")(ci)
	want := map[string]string{"id": "/docker/abc", "name": "web", "image": "img:1", "container_label_team": "a"}
	if len(base) != len(want) {
		t.Fatalf("store_container_labels=false: %v", base)
	}
	for k, v := range want {
		if base[k] != v {
			t.Fatalf("store_container_labels=false: %s=%q, want %q (%v)", k, base[k], v, base)
		}
	}
	if all := ContainerLabels(true, "")(ci); all["container_label_other"] != "b" {
		t.Fatalf("store_container_labels=true keeps every label: %v", all)
	}
}

func TestRequestOptions(t *testing.T) {
	o, err := RequestOptions(url.Values{})
	if err != nil || o.IdType != info.TypeName || o.Count != 64 || o.Recursive || o.MaxAge != nil {
		t.Fatalf("defaults: %+v %v", o, err)
	}
	o, err = RequestOptions(url.Values{"type": {"docker"}, "count": {"-1"}, "recursive": {"true"}, "max_age": {"5s"}})
	if err != nil || o.IdType != info.TypeDocker || o.Count != -1 || !o.Recursive || o.MaxAge == nil || o.MaxAge.Seconds() != 5 {
		t.Fatalf("parsed: %+v %v", o, err)
	}
	for _, bad := range []url.Values{{"type": {"lxc"}}, {"count": {"x"}}, {"count": {"-2"}}, {"max_age": {"soon"}}} {
		if _, err := RequestOptions(bad); err == nil {
			t.Fatalf("accepted %v", bad)
		}
	}
}

func TestAPIRequest(t *testing.T) {
	cases := []struct{ path, kind, name string }{
		{"/api/v2.0/stats", "stats", "/"},
		{"/api/v2.0/stats/", "stats", "/"},
		{"/api/v2.0/stats/docker/abc", "stats", "/docker/abc"},
		{"/api/v2.0/version", "version", "/"},
	}
	for _, c := range cases {
		k, n, err := APIRequest(c.path)
		if err != nil || k != c.kind || n != c.name {
			t.Fatalf("%s: %q %q %v", c.path, k, n, err)
		}
	}
	for _, bad := range []string{"/api/v2.0/events", "/api/v1.3/stats", "/api/v2.0/"} {
		if _, _, err := APIRequest(bad); err == nil {
			t.Fatalf("accepted %s", bad)
		}
	}
}

func TestListenAddressAndVersionLine(t *testing.T) {
	if a := ListenAddress("", 8080); a != ":8080" {
		t.Fatal(a)
	}
	if a := ListenAddress("::1", 9); a != "[::1]:9" {
		t.Fatal(a)
	}
	if v := VersionLine(map[string]string{"version": "v0.60.5", "revision": "44b8e30"}); v != "cAdvisor version v0.60.5 (44b8e30)" {
		t.Fatal(v)
	}
}
