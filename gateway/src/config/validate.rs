//! Raw → typed: runs every section's checks, then the checks that span sections (unique listener
//! addresses and bound endpoints, service targets need a broker, PROXY headers need trusted proxies).

use std::collections::HashSet;

use super::check::{self, field};
use super::limits::{MAX_LISTENERS, MAX_TARGETS};
use super::raw::RawConfig;
use super::{
    host, Broker, BrokerMode, Config, Error, Gateway, Listener, RouteSettings, Target, TargetKind,
};

/// Validates a parsed file into a [`Config`].
pub(crate) fn validate(raw: &RawConfig) -> Result<Config, Error> {
    let gateway = Gateway::from_raw(&raw.gateway)?;
    let listeners = listeners(raw, &gateway)?;
    let defaults = RouteSettings::from_raw("defaults", &raw.defaults, &RouteSettings::default())?;
    check::at_most("target", raw.targets.len(), MAX_TARGETS)?;
    let targets = raw
        .targets
        .iter()
        .map(|(name, target)| Target::from_raw(name, target))
        .collect::<Result<Vec<_>, _>>()?;
    let broker = raw.broker.as_ref().map(Broker::from_raw).transpose()?;
    check_targets(&targets, broker.as_ref())?;
    let hosts = host::hosts(&raw.hosts, &targets, &defaults)?;
    let upload = super::upload::check(raw.upload.as_ref(), &defaults, &hosts)?;
    Ok(Config {
        gateway,
        listeners,
        defaults,
        hosts,
        targets,
        broker,
        upload,
        mimetypes: super::mimetypes::mimetypes(&raw.mimetypes)?,
    })
}

/// Validates the listeners: at least one, distinct addresses (port 0 excepted: each gets its own).
fn listeners(raw: &RawConfig, gateway: &Gateway) -> Result<Vec<Listener>, Error> {
    if raw.listeners.is_empty() {
        return Err(Error::NoListener);
    }
    check::at_most("listener", raw.listeners.len(), MAX_LISTENERS)?;
    let mut listeners: Vec<Listener> = Vec::with_capacity(raw.listeners.len());
    for (index, raw_listener) in raw.listeners.iter().enumerate() {
        let scope = format!("listener[{index}]");
        let listener = Listener::from_raw(&scope, raw_listener)?;
        if listener.bind.port() != 0 && listeners.iter().any(|other| other.bind == listener.bind) {
            return Err(Error::Duplicate {
                field: field(&scope, "bind"),
                what: "listener address",
                value: raw_listener.bind.clone(),
            });
        }
        if listener.proxy_protocol && gateway.trusted_proxies.is_empty() {
            return Err(Error::UntrustedProxyProtocol {
                field: field(&scope, "proxy_protocol"),
            });
        }
        listeners.push(listener);
    }
    Ok(listeners)
}

/// Checks that every endpoint the gateway binds is bound once, and that service targets have a
/// broker to reach.
fn check_targets(targets: &[Target], broker: Option<&Broker>) -> Result<(), Error> {
    let mut bound: HashSet<&str> = HashSet::new();
    if let Some(Broker {
        mode:
            BrokerMode::Embedded {
                workers,
                control,
                handlers,
            },
        ..
    }) = broker
    {
        bound.insert(workers.as_str());
        for h in handlers {
            for endpoint in [&h.send_spec, &h.recv_spec] {
                if !bound.insert(endpoint.as_str()) {
                    return Err(Error::Duplicate {
                        field: format!("broker.handler {}", h.service),
                        what: "endpoint",
                        value: endpoint.as_str().to_owned(),
                    });
                }
            }
        }
        if let Some(control) = control {
            if !bound.insert(control.as_str()) {
                return Err(Error::Duplicate {
                    field: "broker.control".into(),
                    what: "endpoint (same as broker.workers)",
                    value: control.as_str().to_owned(),
                });
            }
        }
    }
    for target in targets {
        let scope = format!("target.{}", target.name);
        match &target.kind {
            TargetKind::Handler(handler) => {
                for (key, endpoint) in [
                    ("send_spec", &handler.send_spec),
                    ("recv_spec", &handler.recv_spec),
                ] {
                    if !bound.insert(endpoint.as_str()) {
                        return Err(Error::Duplicate {
                            field: field(&scope, key),
                            what: "bound endpoint",
                            value: endpoint.as_str().to_owned(),
                        });
                    }
                }
            }
            TargetKind::Service(_) if broker.is_none() => {
                return Err(Error::MissingBroker {
                    target: target.name.clone(),
                });
            }
            TargetKind::Service(_) | TargetKind::Dir(_) | TargetKind::Proxy(_) => {}
        }
    }
    Ok(())
}
