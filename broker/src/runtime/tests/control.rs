//! The control socket answered by the running broker: `scale0 ctl status`, `kick`, refusals.

use serde_json::Value;

use super::*;
use crate::control::{self, Command as Ctl};

async fn query(endpoint: &str, command: Ctl) -> Result<Value, control::Error> {
    let endpoint = endpoint.to_owned();
    tokio::task::spawn_blocking(move || control::query(&endpoint, &command))
        .await
        .unwrap()
}

#[tokio::test]
async fn status_shows_the_worker_its_services_and_the_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let settings = Settings {
        control: Some(ipc(&dir, "control")),
        ..settings(&dir)
    };
    let (broker, links) = Running::start(settings, &["gw-1"]).await;
    let (_tx, mut rx) = links.into_iter().next().unwrap().split();
    expect_up(&mut rx).await;
    let workers = &broker.endpoints.workers;
    let _worker = FakeWorker::ready(&ctx, workers, "w-1", &["echo", "files"], 4).await;
    let control = broker.endpoints.control.clone().unwrap();
    let status = query(&control, Ctl::Status).await.unwrap();
    let worker = &status["workers"][0];
    assert_eq!(worker["identity"], "w-1");
    assert_eq!(worker["services"], serde_json::json!(["echo", "files"]));
    assert_eq!(
        (worker["capacity"].as_u64(), worker["in_flight"].as_u64()),
        (Some(4), Some(0))
    );
    assert!(worker["last_heard_ms"]
        .as_u64()
        .is_some_and(|ms| ms < 10_000));
    let names: Vec<&Value> = status["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["name"])
        .collect();
    assert_eq!(names, ["echo", "files"]);
    assert_eq!(status["services"][0]["ready_slots"], 4);
    assert_eq!(status["gateways"], serde_json::json!(["gw-1"]));
    let table = control::render_status(&status);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("w-1") && l.contains("echo,files") && l.ends_with("ready")),
        "{table}"
    );
    broker.stop().await;
}

#[tokio::test]
async fn kick_disconnects_the_worker_and_unknown_workers_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let settings = Settings {
        control: Some(ipc(&dir, "control")),
        ..settings(&dir)
    };
    let (broker, _) = Running::start(settings, &[]).await;
    let mut worker = FakeWorker::ready(&ctx, &broker.endpoints.workers, "w-1", &["echo"], 1).await;
    let control = broker.endpoints.control.clone().unwrap();
    let kicked = query(
        &control,
        Ctl::Kick {
            worker: "w-1".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(kicked, serde_json::json!({ "kicked": "w-1" }));
    match worker.recv().await {
        Command::Disconnect { reason } => assert_eq!(reason.as_deref(), Some("kicked by operator")),
        other => panic!("expected DISCONNECT, got {other:?}"),
    }
    let refused = query(
        &control,
        Ctl::Drain {
            worker: "w-9".into(),
        },
    )
    .await;
    assert!(
        matches!(&refused, Err(control::Error::Refused(why)) if why.contains("w-9")),
        "{refused:?}"
    );
    broker.stop().await;
}

#[tokio::test]
async fn a_malformed_control_request_gets_a_refusal_not_silence() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        control: Some(ipc(&dir, "control")),
        ..settings(&dir)
    };
    let (broker, _) = Running::start(settings, &[]).await;
    let control = broker.endpoints.control.clone().unwrap();
    let answers = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let socket = ctx.socket(zmq::REQ).unwrap();
        socket.set_linger(0).unwrap();
        socket.set_rcvtimeo(10_000).unwrap();
        socket.connect(&control).unwrap();
        let mut answers = Vec::new();
        for request in [&[&b"{\"command\":\"launch\"}"[..]][..], &[b"a", b"b"]] {
            socket.send_multipart(request, 0).unwrap();
            answers.push(socket.recv_bytes(0).unwrap());
        }
        answers
    });
    for answer in answers.await.unwrap() {
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(answer["ok"], false, "{answer}");
        assert!(answer["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    broker.stop().await;
}
