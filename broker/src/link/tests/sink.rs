//! The standalone link's deliveries into sinks: in order, a full sink drops without stalling the link,
//! a gone gateway ends it.

use std::sync::Arc;

use super::*;

/// A sink recording what it is given, able to play a full or gone gateway.
#[derive(Default)]
struct Recorder {
    got: std::sync::Mutex<Vec<FromBroker>>,
    answer: std::sync::Mutex<Option<Delivery>>,
    wake: tokio::sync::Notify,
}

impl Deliver for Recorder {
    fn deliver(&self, message: FromBroker) -> Delivery {
        let answer = self.answer.lock().unwrap().unwrap_or(Delivery::Taken);
        if answer == Delivery::Taken {
            self.got.lock().unwrap().push(message);
        }
        self.wake.notify_one();
        answer
    }
}

impl Recorder {
    /// Waits until `count` messages were taken; returns them all.
    async fn taken(&self, count: usize) -> Vec<FromBroker> {
        timeout(DEADLINE, async {
            loop {
                let notified = self.wake.notified();
                let got = self.got.lock().unwrap().clone();
                if got.len() >= count {
                    return got;
                }
                notified.await;
            }
        })
        .await
        .expect("the sink got too little")
    }
}

#[tokio::test]
async fn the_sink_gets_every_reply_in_order_from_the_link_task() {
    const REPLIES: u32 = 200;
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let mut broker = FakeBroker::bind(&ctx, &ipc(&dir));
    let sink = Arc::new(Recorder::default());
    let _submitter = connect_to(&ipc(&dir), "gw-1", settings(), sink.clone())
        .await
        .unwrap();
    broker.heartbeat_from_link().await;
    for n in 0..REPLIES {
        let reply = Bytes::from(format!("gw-1 1:1, chunk {n}"));
        broker.send(&Command::Reply { reply });
    }
    let got = sink.taken(1 + REPLIES as usize).await;
    assert_eq!(got[0], FromBroker::Up);
    for (n, message) in (0..REPLIES).zip(&got[1..]) {
        let expected = Bytes::from(format!("gw-1 1:1, chunk {n}"));
        assert_eq!(message, &FromBroker::Reply(expected), "chunk {n}");
    }
}

#[tokio::test]
async fn a_full_channel_sink_drops_without_stalling_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let mut broker = FakeBroker::bind(&ctx, &ipc(&dir));
    let small = LinkSettings {
        queue: 2,
        ..settings()
    };
    let (_tx, mut rx) = connect(&ipc(&dir), "gw-1", small).await.unwrap().split();
    broker.heartbeat_from_link().await;
    for n in 0..50 {
        let reply = Bytes::from(format!("gw-1 1:1, chunk {n}"));
        broker.send(&Command::Reply { reply });
    }
    assert_eq!(next(&mut rx).await, FromBroker::Up);
    // Once the link has drained its socket, a new reply still gets through: nothing waited.
    let last = Bytes::from_static(b"gw-1 1:1, last");
    loop {
        broker.send(&Command::Reply {
            reply: last.clone(),
        });
        if next(&mut rx).await == FromBroker::Reply(last.clone()) {
            break;
        }
    }
}

#[tokio::test]
async fn a_gone_sink_ends_the_task_with_a_disconnect() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let mut broker = FakeBroker::bind(&ctx, &ipc(&dir));
    let sink = Arc::new(Recorder::default());
    *sink.answer.lock().unwrap() = Some(Delivery::Gone);
    let (_tx, task) = connect_to(&ipc(&dir), "gw-1", settings(), sink)
        .await
        .unwrap()
        .into_parts();
    broker.heartbeat_from_link().await;
    broker.send(&Command::Heartbeat);
    timeout(DEADLINE, task.unwrap()).await.unwrap().unwrap();
    loop {
        match broker.recv().await {
            Command::Heartbeat => continue,
            command => break assert_eq!(command, Command::Disconnect),
        }
    }
}
