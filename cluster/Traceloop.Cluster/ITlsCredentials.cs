using System.Security.Cryptography.X509Certificates;

namespace Traceloop.Cluster;

/// <summary>A certificate with its key and the CAs to trust, as they are now (both may change while the process runs).</summary>
internal interface ITlsCredentials
{
    X509Certificate2 Certificate { get; }

    X509Certificate2Collection Authorities { get; }
}
