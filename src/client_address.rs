//! Which client sent a request. Behind a reverse proxy every connection comes from the proxy,
//! which names the client in `X-Forwarded-For`; that header is believed only from the proxies
//! the operator trusts (`trusted_proxies`), since anyone else can write it.

use actix_web::HttpRequest;
use std::net::IpAddr;

/// An address range, `10.0.0.0/8` or `fd00::/8`; a bare address is a range of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    base: IpAddr,
    prefix: u32,
}

impl std::str::FromStr for Network {
    type Err = String;

    fn from_str(text: &str) -> Result<Network, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let base: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("{address:?} is not an IP address"))?;
        let bits = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix.map(|p| p.trim().parse::<u32>()) {
            None => bits,
            Some(Ok(p)) if p <= bits => p,
            Some(_) => return Err(format!("{text:?} needs a prefix length from 0 to {bits}")),
        };
        Ok(Network { base, prefix })
    }
}

impl Network {
    pub fn contains(&self, ip: IpAddr) -> bool {
        // Compared as 128-bit numbers, the range's own bits kept and the rest masked off.
        let (base, ip, bits) = match (self.base, ip) {
            (IpAddr::V4(b), IpAddr::V4(i)) => (u32::from(b).into(), u32::from(i).into(), 32),
            (IpAddr::V6(b), IpAddr::V6(i)) => (u128::from(b), u128::from(i), 128),
            _ => return false,
        };
        let host_bits = bits - self.prefix;
        let mask = u128::MAX.checked_shl(host_bits).unwrap_or(0);
        base & mask == ip & mask
    }
}

/// The proxies whose `X-Forwarded-For` is believed, kept in the app's data.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(pub Vec<Network>);

impl TrustedProxies {
    fn trust(&self, ip: &IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(*ip))
    }
}

/// The client's address: the connection's, or, when that is a trusted proxy, the last address
/// in `X-Forwarded-For` that is not one (each proxy appends the address it was reached from).
pub fn of(req: &HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".into();
    };
    let none = TrustedProxies::default();
    let trusted = req
        .app_data::<actix_web::web::Data<TrustedProxies>>()
        .map_or(&none, |t| t.as_ref());
    client(peer, forwarded_for(req).as_deref(), trusted).to_string()
}

fn forwarded_for(req: &HttpRequest) -> Option<String> {
    let values: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

fn client(peer: IpAddr, forwarded: Option<&str>, trusted: &TrustedProxies) -> IpAddr {
    if !trusted.trust(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = forwarded
        .unwrap_or_default()
        .split(',')
        .filter_map(|hop| hop.trim().parse().ok())
        .collect();
    hops.into_iter()
        .rev()
        .find(|hop| !trusted.trust(hop))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::{client, Network, TrustedProxies};
    use std::net::IpAddr;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn networks(texts: &[&str]) -> TrustedProxies {
        TrustedProxies(texts.iter().map(|t| t.parse().unwrap()).collect())
    }

    #[test]
    fn ranges_hold_their_addresses_only() {
        let private: Network = "10.0.0.0/8".parse().unwrap();
        assert!(private.contains(ip("10.200.3.4")));
        assert!(!private.contains(ip("11.0.0.1")));
        assert!(!private.contains(ip("::ffff:10.0.0.1")));
        let v6: Network = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        let one: Network = "192.0.2.7".parse().unwrap();
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let everything: Network = "0.0.0.0/0".parse().unwrap();
        assert!(everything.contains(ip("203.0.113.1")));
        assert!("10.0.0.0/33".parse::<Network>().is_err());
        assert!("proxy.internal".parse::<Network>().is_err());
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let trusted = networks(&["127.0.0.1", "10.0.0.0/24"]);
        let forwarded = Some("203.0.113.9, 198.51.100.7, 10.0.0.2");
        // Through two trusted proxies: the last address before them.
        assert_eq!(
            client(ip("127.0.0.1"), forwarded, &trusted),
            ip("198.51.100.7")
        );
        // Anyone else's header is their own invention.
        assert_eq!(
            client(ip("192.0.2.1"), forwarded, &trusted),
            ip("192.0.2.1")
        );
        // A trusted proxy with no header, or only garbage in it, is the client itself.
        assert_eq!(client(ip("127.0.0.1"), None, &trusted), ip("127.0.0.1"));
        assert_eq!(
            client(ip("127.0.0.1"), Some("unknown"), &trusted),
            ip("127.0.0.1")
        );
    }
}
