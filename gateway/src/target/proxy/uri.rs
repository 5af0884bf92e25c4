//! Where a request goes upstream: the target URL's path is a prefix put in
//! front of the whole request path (the route's pattern is not stripped,
//! as Mongrel2 forwards the request line unchanged); the query is kept.

use http::uri::{Authority, PathAndQuery, Scheme, Uri};

/// Why a request cannot be addressed to the upstream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The request target is not a path (`OPTIONS *`, authority form).
    #[error("request target {0:?} is not a path")]
    NotAPath(String),
    /// Prefix and path together are not a valid URI.
    #[error("upstream URI for {0:?} is invalid")]
    Invalid(String),
}

/// The upstream's scheme, authority and path prefix, split once from the
/// target's `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    scheme: Scheme,
    authority: Authority,
    /// The URL's path without its trailing `/` (empty for `http://host/`).
    prefix: String,
}

impl Base {
    /// Splits a validated target URL (`http://host[:port][/path]`); `None` if
    /// it has no authority (config validation rules that out).
    pub fn new(url: &Uri) -> Option<Base> {
        Some(Base {
            scheme: url.scheme().cloned().unwrap_or(Scheme::HTTP),
            authority: url.authority()?.clone(),
            prefix: url.path().trim_end_matches('/').to_owned(),
        })
    }

    /// The upstream's `host[:port]`, sent as `Host` when `preserve_host` is off.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// The absolute upstream URI for a request whose target is `request`
    /// (origin form `/p?q`, or absolute form from HTTP/2 and proxies).
    pub fn join(&self, request: &Uri) -> Result<Uri, Error> {
        let path_and_query = request.path_and_query().map_or("/", PathAndQuery::as_str);
        if !path_and_query.starts_with('/') {
            return Err(Error::NotAPath(path_and_query.to_owned()));
        }
        let joined = format!("{}{path_and_query}", self.prefix);
        Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(joined.as_str())
            .build()
            .map_err(|_| Error::Invalid(joined))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(base: &str, request: &str) -> Result<String, Error> {
        let base = Base::new(&base.parse().unwrap()).unwrap();
        base.join(&request.parse().unwrap()).map(|u| u.to_string())
    }

    #[test]
    fn a_bare_upstream_gets_the_request_path_and_query_unchanged() {
        assert_eq!(
            join("http://127.0.0.1:8081", "/app/x?a=1&b").unwrap(),
            "http://127.0.0.1:8081/app/x?a=1&b"
        );
        assert_eq!(
            join("http://up/", "/").unwrap(),
            "http://up/",
            "a trailing slash is not doubled"
        );
    }

    #[test]
    fn the_url_path_is_a_prefix_in_front_of_the_whole_request_path() {
        assert_eq!(
            join("http://up:81/base", "/app/x?q").unwrap(),
            "http://up:81/base/app/x?q"
        );
        assert_eq!(
            join("http://up:81/base/", "/app/").unwrap(),
            "http://up:81/base/app/"
        );
    }

    #[test]
    fn absolute_form_requests_keep_only_their_path() {
        assert_eq!(
            join("http://up:81", "http://client.example/a?b").unwrap(),
            "http://up:81/a?b"
        );
    }

    #[test]
    fn a_request_target_that_is_not_a_path_is_refused() {
        assert_eq!(join("http://up", "*"), Err(Error::NotAPath("*".into())));
    }

    #[test]
    fn the_authority_is_what_the_url_names() {
        let base = Base::new(&"http://up.example:8080/p".parse().unwrap()).unwrap();
        assert_eq!(base.authority().as_str(), "up.example:8080");
    }
}
