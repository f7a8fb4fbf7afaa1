package fetch

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// blocked are the address ranges a feed URL must not reach unless the
// guard allows them: a feed list or a redirect pointing there would turn
// the poller into a probe of the network it runs in.
var blocked = mustPrefixes(
	"0.0.0.0/8",          // "this network"
	"10.0.0.0/8",         // private, RFC 1918
	"100.64.0.0/10",      // carrier-grade NAT, RFC 6598
	"127.0.0.0/8",        // loopback
	"169.254.0.0/16",     // link-local, cloud metadata at 169.254.169.254
	"172.16.0.0/12",      // private, RFC 1918
	"192.0.0.0/24",       // IETF protocol assignments
	"192.0.2.0/24",       // documentation
	"192.168.0.0/16",     // private, RFC 1918
	"198.18.0.0/15",      // benchmarking
	"198.51.100.0/24",    // documentation
	"203.0.113.0/24",     // documentation
	"224.0.0.0/4",        // multicast
	"240.0.0.0/4",        // reserved, broadcast
	"::/128",             // unspecified
	"::1/128",            // loopback
	"64:ff9b:1::/48",     // local-use NAT64
	"100::/64",           // discard
	"2001:db8::/32",      // documentation
	"fc00::/7",           // unique local, metadata at fd00:ec2::254
	"fe80::/10",          // link-local
	"ff00::/8",           // multicast
	"2002:a00::/24",      // 6to4 of 10/8
	"2002:7f00::/24",     // 6to4 of 127/8
	"2002:a9fe::/32",     // 6to4 of 169.254/16
	"2002:ac10::/28",     // 6to4 of 172.16/12
	"2002:c0a8::/32",     // 6to4 of 192.168/16
	"::ffff:0:0/96",      // IPv4-mapped; unmapped before the check, kept as a backstop
	"64:ff9b::/96",       // NAT64 can reach any IPv4 address
	"fec0::/10",          // deprecated site-local
	"2001::/32",          // Teredo, carries an IPv4 address
	"::ffff:0:0:0/96",    // IPv4-translated
	"255.255.255.255/32", // limited broadcast
)

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Guard decides which addresses the fetcher may connect to. It refuses
// loopback, private, link-local, multicast and other special-purpose
// addresses (cloud metadata endpoints among them) unless Allow lists a
// network that contains them. The zero Guard refuses all of those.
//
// The check runs on the address actually dialled, after DNS resolution,
// for every connection, so a host name that resolves to a private address,
// a redirect to one, and DNS rebinding between check and use are all
// caught.
type Guard struct {
	Allow []netip.Prefix
}

// ParseNetworks reads CIDRs such as 127.0.0.1/32 or fd00::/8; a bare
// address is a network of one.
func ParseNetworks(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("%q is neither an address nor a CIDR such as 127.0.0.1/32", s)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR such as 127.0.0.1/32", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// BlockedError says the guard refused an address.
type BlockedError struct {
	Addr netip.Addr
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("address %s is loopback, private, link-local or otherwise not public, and not in the allowed networks", e.Addr)
}

// Check returns a *BlockedError when addr may not be reached.
func (g *Guard) Check(addr netip.Addr) error {
	addr = addr.Unmap()
	for _, p := range g.Allow {
		if p.Contains(addr) {
			return nil
		}
	}
	for _, p := range blocked {
		if p.Contains(addr) {
			return &BlockedError{Addr: addr}
		}
	}
	return nil
}

// control is a net.Dialer Control function: it runs after name
// resolution, on the address about to be connected.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dialling %s: %w", address, err)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dialling %s: not an IP address", address)
	}
	return g.Check(addr)
}
