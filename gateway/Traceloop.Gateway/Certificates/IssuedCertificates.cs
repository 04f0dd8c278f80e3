using System.Security.Cryptography.X509Certificates;
using Traceloop.Cluster;

namespace Traceloop.Gateway.Certificates;

/// <summary>
/// What the issuer keeps: the CA with its key, the CA it replaced while leaves move over (null
/// otherwise) and when it was replaced, and the three leaves (the agents' serving certificate, the
/// gateway's client certificate, the gateway's serving certificate). <see cref="Trust"/> is what
/// every side trusts (ca.crt, and the APIService's caBundle): the current CA, and the previous one
/// during a rotation.
/// </summary>
internal sealed record IssuedCertificates(X509Certificate2 Ca, X509Certificate2? PreviousCa, DateTimeOffset RotatedAt,
    X509Certificate2 Agent, X509Certificate2 Gateway, X509Certificate2 Serving)
{
    public X509Certificate2Collection Trust => PreviousCa is null ? [Ca] : [Ca, PreviousCa];

    /// <summary>
    /// The next state at <paramref name="now"/>, for a gateway whose Service is in
    /// <paramref name="ns"/>. A CA past two thirds of its year is replaced, but the leaves stay
    /// signed by the old one and both CAs are trusted until <paramref name="propagation"/> has
    /// passed (time for every mounted ca.crt to hold the new CA); then the leaves are re-issued by
    /// the new CA; after another <paramref name="propagation"/> (time for every mount to hold the
    /// new leaves) the old CA is dropped. So at no moment does one side present a certificate the
    /// other does not yet trust. A leaf that is missing, not the CA's, or past two thirds of its
    /// life (or, for the serving certificate, not naming the Service) is re-issued at once.
    /// </summary>
    public static IssuedCertificates Next(IssuedCertificates? current, DateTimeOffset now, TimeSpan propagation, string ns)
    {
        if (current is null || !current.Ca.HasPrivateKey || now >= current.Ca.NotAfter.ToUniversalTime())
        {
            X509Certificate2 ca = ClusterAuthority.CreateCa(now);
            return new IssuedCertificates(ca, null, now, Leaf(ca, LeafKind.Agent, now, ns), Leaf(ca, LeafKind.Gateway, now, ns), Leaf(ca, LeafKind.Serving, now, ns));
        }
        IssuedCertificates next = current;
        if (next.PreviousCa is null && ClusterAuthority.DueForRenewal(next.Ca, now))
        {
            X509Certificate2 previous = X509CertificateLoader.LoadCertificate(next.Ca.RawData);
            return next with { Ca = ClusterAuthority.CreateCa(now), PreviousCa = previous, RotatedAt = now };
        }
        if (next.PreviousCa is not null)
        {
            bool moved = ClusterAuthority.SignedBy(next.Agent, next.Ca) && ClusterAuthority.SignedBy(next.Gateway, next.Ca)
                && ClusterAuthority.SignedBy(next.Serving, next.Ca);
            if (!moved && now - next.RotatedAt >= propagation)
            {
                return next with
                {
                    Agent = Leaf(next.Ca, LeafKind.Agent, now, ns),
                    Gateway = Leaf(next.Ca, LeafKind.Gateway, now, ns),
                    Serving = Leaf(next.Ca, LeafKind.Serving, now, ns),
                    RotatedAt = now,
                };
            }
            if (moved && now - next.RotatedAt >= propagation)
            {
                next = next with { PreviousCa = null };
            }
        }
        if (Stale(next.Agent, next, now))
        {
            next = next with { Agent = Leaf(next.Ca, LeafKind.Agent, now, ns) };
        }
        if (Stale(next.Gateway, next, now))
        {
            next = next with { Gateway = Leaf(next.Ca, LeafKind.Gateway, now, ns) };
        }
        if (Stale(next.Serving, next, now) || !PeerCertificate.Names(next.Serving, ClusterAuthority.ServingNames(ns)[0]))
        {
            next = next with { Serving = Leaf(next.Ca, LeafKind.Serving, now, ns) };
        }
        return next;
    }

    private static bool Stale(X509Certificate2 leaf, IssuedCertificates state, DateTimeOffset now) =>
        !leaf.HasPrivateKey || ClusterAuthority.DueForRenewal(leaf, now)
        || !(ClusterAuthority.SignedBy(leaf, state.Ca) || (state.PreviousCa is not null && ClusterAuthority.SignedBy(leaf, state.PreviousCa)));

    private static X509Certificate2 Leaf(X509Certificate2 ca, LeafKind kind, DateTimeOffset now, string ns) => kind switch
    {
        LeafKind.Agent => ClusterAuthority.Issue(ca, ClusterAuthority.AgentIdentity, server: true, now),
        LeafKind.Gateway => ClusterAuthority.Issue(ca, ClusterAuthority.GatewayIdentity, server: false, now),
        _ => ClusterAuthority.Issue(ca, ClusterAuthority.ServingNames(ns)[0], server: true, now, ClusterAuthority.ServingNames(ns)[1..]),
    };

    private enum LeafKind
    {
        Agent,
        Gateway,
        Serving,
    }
}
