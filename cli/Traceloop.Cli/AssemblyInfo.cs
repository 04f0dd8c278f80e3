// The node CLI talks to the recorder's Unix socket on the node it runs on: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
