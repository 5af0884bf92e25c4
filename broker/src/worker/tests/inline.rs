//! Inline serving: the handler runs on the serving thread, replies go out without a hop, and a
//! [`Worker`] clone still shuts the worker down from elsewhere.

use std::sync::mpsc::{channel, Receiver};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{
    broker, cancel, done, expect_chunks, fast, head, heartbeat, request, Broker, GW, PATIENCE,
};
use crate::protocol::{Command, RequestId};
use crate::worker::{Error, Job, Settings, Worker};
use crate::zmq_async::Hwm;

/// Five heartbeat intervals of the timing the heartbeat test announces.
const QUIET_MS: i64 = 100;

/// Serves `broker` inline on a thread with `handler`; returns a handle and the serving thread.
fn serve<F>(
    broker: &Broker,
    capacity: u32,
    settings: Settings,
    handler: F,
) -> (Worker, JoinHandle<Result<(), Error>>)
where
    F: FnMut(Job) -> Result<(), Error> + Send + 'static,
{
    let (worker, inline) =
        Worker::connect_inline(&broker.endpoint, &["hello"], capacity, settings).unwrap();
    (worker, std::thread::spawn(move || inline.serve(handler)))
}

/// Serves with a handler that hands every job to the test thread.
fn forwarding(
    broker: &Broker,
    capacity: u32,
) -> (Worker, JoinHandle<Result<(), Error>>, Receiver<Job>) {
    let (tx, rx) = channel();
    let (worker, serving) = serve(broker, capacity, fast(), move |job| {
        tx.send(job).map_err(|_| Error::Stopped)
    });
    (worker, serving, rx)
}

fn take(jobs: &Receiver<Job>) -> Job {
    jobs.recv_timeout(PATIENCE)
        .expect("no job within the deadline")
}

#[test]
fn inline_jobs_are_answered_with_reply_done_and_shutdown_from_a_clone_ends_serve() {
    let (_dir, broker) = broker();
    let (worker, serving) = serve(&broker, 64, fast(), |job| {
        job.reply_http_and_done(b"hi\n", 200, "OK", &[])
    });
    let identity = broker.accept();
    for id in 1..=3 {
        broker.send(&identity, &request(id));
    }
    for id in 1..=3u64 {
        let (_, frames) = broker.expect_raw();
        let mut reply = GW.to_vec();
        reply.extend_from_slice(b" 1:1, HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nhi\n");
        assert_eq!(frames, [b"".to_vec(), head(0x0a, id), reply]);
    }
    worker.shutdown(PATIENCE).unwrap();
    assert_eq!(broker.expect().1, Command::Drain);
    assert_eq!(broker.expect().1, Command::Disconnect { reason: None });
    serving.join().unwrap().unwrap();
    assert!(worker.is_stopped());
}

#[test]
fn capacity_is_respected_and_a_job_moved_to_another_thread_still_replies() {
    let (_dir, broker) = broker();
    let (_worker, _serving, jobs) = forwarding(&broker, 2);
    let identity = broker.accept();
    (1..=3).for_each(|id| broker.send(&identity, &request(id)));
    assert_eq!(
        broker.expect().1,
        done(3),
        "the third is given back at once"
    );
    let first = take(&jobs);
    let second = take(&jobs);
    assert_eq!((first.id(), second.id()), (RequestId(1), RequestId(2)));
    first.reply_and_done(b"from the test thread").unwrap();
    let Command::ReplyDone { request: id, reply } = broker.expect().1 else {
        panic!("expected REPLY-DONE")
    };
    assert_eq!(id, RequestId(1));
    assert!(reply.ends_with(b", from the test thread"));
    broker.send(&identity, &request(4));
    let fourth = take(&jobs);
    assert_eq!(fourth.id(), RequestId(4), "the freed slot took work");
    drop(second);
    assert_eq!(broker.expect().1, done(2));
    drop(fourth);
    assert_eq!(broker.expect().1, done(4));
}

#[test]
fn cancel_reaches_the_handler_and_flags_the_held_job() {
    let (_dir, broker) = broker();
    let (_worker, _serving, jobs) = forwarding(&broker, 1);
    let identity = broker.accept();
    broker.send(&identity, &request(3));
    let held = take(&jobs);
    broker.send(&identity, &cancel(3));
    let notice = take(&jobs);
    assert!(notice.is_cancel());
    assert_eq!(notice.id(), RequestId(3));
    assert!(held.is_cancelled());
    drop(notice);
    held.done().unwrap();
    assert_eq!(
        broker.expect().1,
        done(3),
        "only the request's job sends DONE"
    );
}

#[test]
fn heartbeats_pause_while_the_handler_runs_and_resume_after_it_returns() {
    let (_dir, broker) = broker();
    let (entered_tx, entered) = channel();
    let (release, released) = channel::<()>();
    let (_worker, _serving) = serve(&broker, 1, fast(), move |job| {
        entered_tx.send(()).map_err(|_| Error::Stopped)?;
        released.recv().map_err(|_| Error::Stopped)?;
        job.done()
    });
    let (identity, _) = broker.recv();
    broker.send(&identity, &heartbeat(20, 50));
    broker.send(&identity, &request(1));
    entered.recv_timeout(PATIENCE).unwrap();
    // Heartbeats sent before the handler was entered may still arrive; then five intervals of silence.
    let deadline = Instant::now() + PATIENCE;
    while broker.router.poll(zmq::POLLIN, QUIET_MS).unwrap() > 0 {
        assert!(
            Instant::now() < deadline,
            "heartbeats kept coming while the handler ran"
        );
        assert_eq!(broker.recv().1, Command::Heartbeat { timing: None });
    }
    release.send(()).unwrap();
    assert_eq!(broker.expect().1, done(1));
    for _ in 0..3 {
        assert_eq!(broker.recv().1, Command::Heartbeat { timing: None });
    }
}

#[test]
fn shutdown_from_another_thread_waits_for_held_jobs_then_disconnects() {
    let (_dir, broker) = broker();
    let (worker, serving, jobs) = forwarding(&broker, 2);
    let identity = broker.accept();
    broker.send(&identity, &request(1));
    let held = take(&jobs);
    let stopping = {
        let worker = worker.clone();
        std::thread::spawn(move || worker.shutdown(PATIENCE))
    };
    assert_eq!(broker.expect().1, Command::Drain);
    broker.send(&identity, &request(2));
    let late = take(&jobs);
    assert_eq!(
        late.id(),
        RequestId(2),
        "requests sent before DRAIN are served"
    );
    late.done().unwrap();
    held.reply(b"last words").unwrap();
    held.done().unwrap();
    assert_eq!(broker.expect().1, done(2));
    assert!(matches!(broker.expect().1, Command::Reply { .. }));
    assert_eq!(broker.expect().1, done(1));
    assert_eq!(broker.expect().1, Command::Disconnect { reason: None });
    stopping.join().unwrap().unwrap();
    serving.join().unwrap().unwrap();
}

#[test]
fn shutdown_called_by_the_handler_returns_at_once_and_serve_ends_after_the_drain() {
    let (_dir, broker) = broker();
    let (tx, worker) = channel::<Worker>();
    let (handle, serving) = serve(&broker, 1, fast(), move |job| {
        let worker = worker.recv_timeout(PATIENCE).map_err(|_| Error::Stopped)?;
        worker.shutdown(PATIENCE)?;
        job.reply_and_done(b"bye")
    });
    tx.send(handle).unwrap();
    let identity = broker.accept();
    broker.send(&identity, &request(1));
    assert_eq!(broker.expect().1, Command::Drain);
    assert!(matches!(broker.expect().1, Command::ReplyDone { .. }));
    assert_eq!(broker.expect().1, Command::Disconnect { reason: None });
    serving.join().unwrap().unwrap();
}

#[test]
fn a_handler_error_shuts_down_and_serve_returns_it() {
    let (_dir, broker) = broker();
    let (_worker, serving) = serve(&broker, 1, fast(), |_job| Err(Error::Stopped));
    let identity = broker.accept();
    broker.send(&identity, &request(1));
    assert_eq!(broker.expect().1, done(1), "the dropped job still finished");
    assert_eq!(broker.expect().1, Command::Drain);
    assert_eq!(broker.expect().1, Command::Disconnect { reason: None });
    assert!(matches!(serving.join().unwrap(), Err(Error::Stopped)));
}

#[test]
fn a_handler_replying_past_the_high_water_mark_waits_and_keeps_order() {
    let (_dir, broker) = broker();
    let settings = Settings {
        hwm: Hwm::new(2).unwrap(),
        outbox: 1,
        ..fast()
    };
    let (_worker, _serving) = serve(&broker, 1, settings, |job| {
        for i in 0..500 {
            job.reply(format!("chunk {i}").as_bytes())?;
        }
        job.done()
    });
    let identity = broker.accept();
    broker.send(&identity, &request(1));
    expect_chunks(&broker, 500, 1);
}

#[test]
fn an_inline_worker_dropped_unserved_is_stopped() {
    let (_dir, broker) = broker();
    let (worker, inline) = Worker::connect_inline(&broker.endpoint, &["hello"], 1, fast()).unwrap();
    drop(inline);
    assert!(worker.is_stopped());
    worker.shutdown(Duration::ZERO).unwrap();
    assert!(worker.recv().is_none());
}

#[test]
fn inline_is_send() {
    fn send<T: Send>() {}
    send::<crate::worker::Inline>();
}

/// Replies of quick calls may wait for the next call of their batch (one write for the batch), but a
/// call that took longer than `QUICK_CALL` has its reply written before the next call starts: here the
/// second call does not return until the test has seen the first reply.
#[test]
fn the_reply_of_a_slow_call_leaves_while_the_next_call_runs() {
    let (_dir, broker) = broker();
    let (release, released) = channel::<()>();
    let mut calls = 0;
    let (_worker, _serving) = serve(&broker, 2, fast(), move |job| {
        calls += 1;
        if calls == 1 {
            // The handler's own work, long enough not to be a quick call.
            std::thread::sleep(crate::worker::QUICK_CALL * 20);
        } else {
            released
                .recv_timeout(PATIENCE * 2)
                .expect("the test never saw the first reply");
        }
        job.reply_and_done(format!("call {calls}").as_bytes())
    });
    let identity = broker.accept();
    broker.send(&identity, &request(1));
    broker.send(&identity, &request(2));
    let replied = |broker: &Broker| match broker.expect().1 {
        Command::ReplyDone { request, .. } => request,
        other => panic!("expected REPLY-DONE, got {other:?}"),
    };
    assert_eq!(replied(&broker), RequestId(1));
    release.send(()).unwrap();
    assert_eq!(replied(&broker), RequestId(2));
}
