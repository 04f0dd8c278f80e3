using System.Text.Json;
using Traceloop.Recorder.Kubernetes;

namespace Traceloop.Tests.Kubernetes;

/// <summary>Pods as the API server serves them (kubectl get pod -o json, trimmed of fields nothing reads).</summary>
internal static class PodSamples
{
    public const string MainId = "8a1f3c2b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a";
    public const string PreviousMainId = "1111111111111111111111111111111111111111111111111111111111111111";
    public const string SidecarId = "2222222222222222222222222222222222222222222222222222222222222222";
    public const string InitId = "3333333333333333333333333333333333333333333333333333333333333333";
    public const string DebugId = "4444444444444444444444444444444444444444444444444444444444444444";

    /// <summary>
    /// A running pod with an init container that completed, a main container restarted after
    /// being killed by SIGKILL, a sidecar on CRI-O-style ids, and an ephemeral debug container.
    /// </summary>
    public const string RestartedWithDebugger = $$"""
        {
          "kind": "Pod",
          "apiVersion": "v1",
          "metadata": {
            "name": "checkout-7c9d8f6b5-x2x8q",
            "generateName": "checkout-7c9d8f6b5-",
            "namespace": "shop",
            "uid": "a3b9e4f2-6c1d-4e8a-9b7f-2d5c8e1a0f63",
            "resourceVersion": "4815162342",
            "creationTimestamp": "2025-02-27T08:14:03Z",
            "labels": { "app": "checkout", "pod-template-hash": "7c9d8f6b5" },
            "ownerReferences": [ { "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "checkout-7c9d8f6b5", "uid": "0b6e2d8c-1f3a-4b5c-8d7e-9f0a1b2c3d4e", "controller": true, "blockOwnerDeletion": true } ]
          },
          "spec": {
            "initContainers": [ { "name": "migrate", "image": "ghcr.io/acme/checkout-migrate:1.4.2", "resources": {} } ],
            "containers": [
              { "name": "checkout", "image": "ghcr.io/acme/checkout:1.4.2", "resources": { "limits": { "memory": "256Mi" } } },
              { "name": "envoy", "image": "envoyproxy/envoy:v1.31.0", "resources": {} }
            ],
            "ephemeralContainers": [ { "name": "debugger-x7k2p", "image": "busybox:1.36", "targetContainerName": "checkout", "resources": {} } ],
            "restartPolicy": "Always",
            "nodeName": "worker-3",
            "serviceAccountName": "checkout"
          },
          "status": {
            "phase": "Running",
            "hostIP": "10.0.3.17",
            "podIP": "10.244.3.41",
            "startTime": "2025-02-27T08:14:03Z",
            "initContainerStatuses": [
              {
                "name": "migrate",
                "state": { "terminated": { "exitCode": 0, "reason": "Completed", "startedAt": "2025-02-27T08:14:05Z", "finishedAt": "2025-02-27T08:14:09Z", "containerID": "containerd://{{InitId}}" } },
                "lastState": {},
                "ready": true,
                "restartCount": 0,
                "image": "ghcr.io/acme/checkout-migrate:1.4.2",
                "imageID": "ghcr.io/acme/checkout-migrate@sha256:aa",
                "containerID": "containerd://{{InitId}}",
                "started": false
              }
            ],
            "containerStatuses": [
              {
                "name": "checkout",
                "state": { "running": { "startedAt": "2025-03-01T03:02:11Z" } },
                "lastState": { "terminated": { "exitCode": 137, "signal": 9, "reason": "Error", "startedAt": "2025-02-27T08:14:10Z", "finishedAt": "2025-03-01T03:02:10.123456Z", "containerID": "containerd://{{PreviousMainId}}" } },
                "ready": true,
                "restartCount": 3,
                "image": "ghcr.io/acme/checkout:1.4.2",
                "imageID": "ghcr.io/acme/checkout@sha256:bb",
                "containerID": "containerd://{{MainId}}",
                "started": true
              },
              {
                "name": "envoy",
                "state": { "running": { "startedAt": "2025-02-27T08:14:10Z" } },
                "lastState": {},
                "ready": true,
                "restartCount": 0,
                "image": "docker.io/envoyproxy/envoy:v1.31.0",
                "imageID": "docker.io/envoyproxy/envoy@sha256:cc",
                "containerID": "cri-o://{{SidecarId}}",
                "started": true
              }
            ],
            "ephemeralContainerStatuses": [
              {
                "name": "debugger-x7k2p",
                "state": { "running": { "startedAt": "2025-03-01T03:05:00Z" } },
                "lastState": {},
                "ready": false,
                "restartCount": 0,
                "image": "docker.io/library/busybox:1.36",
                "imageID": "docker.io/library/busybox@sha256:dd",
                "containerID": "containerd://{{DebugId}}"
              }
            ],
            "qosClass": "Burstable"
          }
        }
        """;

    /// <summary>A pod the scheduler has not placed yet: no node, no statuses.</summary>
    public const string Pending = """
        {
          "kind": "Pod",
          "apiVersion": "v1",
          "metadata": { "name": "batch-1", "namespace": "jobs", "uid": "5e0c1b2a-0000-4000-8000-00000000abcd", "resourceVersion": "77", "creationTimestamp": "2025-03-01T00:00:00Z" },
          "spec": { "containers": [ { "name": "work", "image": "busybox:1.36" } ] },
          "status": { "phase": "Pending", "qosClass": "BestEffort" }
        }
        """;

    public static Pod Parse(string json) => JsonSerializer.Deserialize(json, PodJsonContext.Default.Pod)!;
}
