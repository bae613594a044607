//! Which client sent a request. Behind a reverse proxy every connection comes from the proxy,
//! which names the client in `X-Forwarded-For`; that header is believed only from the proxies
//! the operator trusts (`trusted_proxies`), since anyone else can write it.

use actix_web::HttpRequest;
use std::net::IpAddr;

/// The addresses whose `X-Forwarded-For` is believed, kept in the app's data.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(pub Vec<IpAddr>);

/// The client's address: the connection's, or, when that is a trusted proxy, the last address
/// in `X-Forwarded-For` that is not one (each proxy appends the address it was reached from).
pub fn of(req: &HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".into();
    };
    let trusted = req
        .app_data::<actix_web::web::Data<TrustedProxies>>()
        .map(|t| t.0.clone())
        .unwrap_or_default();
    client(peer, forwarded_for(req).as_deref(), &trusted).to_string()
}

fn forwarded_for(req: &HttpRequest) -> Option<String> {
    let values: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

fn client(peer: IpAddr, forwarded: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = forwarded
        .unwrap_or_default()
        .split(',')
        .filter_map(|hop| hop.trim().parse().ok())
        .collect();
    hops.into_iter()
        .rev()
        .find(|hop| !trusted.contains(hop))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::client;
    use std::net::IpAddr;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let trusted = [ip("127.0.0.1"), ip("10.0.0.2")];
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
