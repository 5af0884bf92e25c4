//! Capacity N served as tokio tasks: N requests in progress at once.

use std::sync::Arc;

use scale0_broker::worker::{Settings, Worker};
use scale0_workers_examples::concurrent::{self, Gauge};

use super::broker::{Broker, PATIENCE};

const N: u64 = 4;

#[test]
fn n_requests_are_in_progress_at_once() {
    let broker = Broker::bind();
    let worker = Worker::connect(&broker.endpoint, &["slow"], 4, Settings::default()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // Every handler waits until all N have started: the replies come only if N run at once.
    let barrier = Arc::new(tokio::sync::Barrier::new(4));
    let serving = runtime.spawn(concurrent::serve(worker.clone(), move |job| {
        let barrier = barrier.clone();
        async move {
            barrier.wait().await;
            job.reply(b"together").unwrap();
            job.done().unwrap();
        }
    }));
    let (identity, _) = broker.accept(1000);
    for id in 1..=N {
        broker.request(&identity, id, 10 + id, "/slow", b"");
    }
    let mut dones = 0;
    while dones < N {
        if matches!(
            broker.expect().1,
            scale0_broker::protocol::Command::Done { .. }
        ) {
            dones += 1;
        }
    }
    worker.shutdown(PATIENCE).unwrap();
    assert_eq!(runtime.block_on(serving).unwrap(), N);
}

#[test]
fn nap_reports_requests_in_progress() {
    let broker = Broker::bind();
    let worker = Worker::connect(&broker.endpoint, &["slow"], 2, Settings::default()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let gauge = Arc::new(Gauge::default());
    let handler_gauge = gauge.clone();
    let serving = runtime.spawn(concurrent::serve(worker.clone(), move |job| {
        concurrent::nap(job, handler_gauge.clone())
    }));
    let (identity, _) = broker.accept(1000);
    broker.request(&identity, 1, 3, "/slow", b"");
    let page = String::from_utf8(broker.reply_body(3)).unwrap();
    assert!(
        page.contains("/slow: napped 200 ms; 1 request(s) in progress"),
        "{page}"
    );
    broker.expect_done(1);
    worker.shutdown(PATIENCE).unwrap();
    runtime.block_on(serving).unwrap();
    assert_eq!(gauge.peak(), 1);
}
