//! Registration, requests, replies, DONE, cancellation and capacity.

use std::time::Duration;

use super::{broker, cancel, done, expect_chunks, fast, head, heartbeat, request, Broker, GW};
use crate::protocol::{Command, RequestId};
use crate::runtime::Transport;
use crate::worker::{Error, Settings, Worker};

fn job(worker: &Worker) -> crate::worker::Job {
    worker
        .recv_timeout(super::PATIENCE)
        .expect("no job within the deadline")
}

fn connect(broker: &Broker, capacity: u32) -> Worker {
    Worker::connect(&broker.endpoint, &["hello", "echo"], capacity, fast()).unwrap()
}

#[test]
fn ready_names_the_services_and_capacity() {
    let (_dir, broker) = broker();
    let _worker = connect(&broker, 3);
    let (_, frames) = broker.recv_raw();
    let expected: [&[u8]; 5] = [b"", b"S0W2\x01", b"3", b"hello", b"echo"];
    assert_eq!(frames, expected.map(<[u8]>::to_vec));
}

#[test]
fn a_request_becomes_a_job_whose_reply_and_done_frames_are_exact() {
    exact_frames(Transport::Native);
}

#[test]
fn over_libzmq_too_a_request_becomes_a_job_with_exact_reply_and_done_frames() {
    exact_frames(Transport::Libzmq);
}

fn exact_frames(transport: Transport) {
    let (_dir, broker) = broker();
    let settings = Settings {
        transport,
        ..fast()
    };
    let worker = Worker::connect(&broker.endpoint, &["hello", "echo"], 1, settings).unwrap();
    let identity = broker.accept();
    broker.send(&identity, &request(7));
    let job = job(&worker);
    let request = job.request().unwrap();
    assert_eq!((request.path, request.conn_id), (&b"/hello"[..], 1));
    assert_eq!(
        (job.sender(), job.conn_id(), job.is_cancel()),
        (GW, 1, false)
    );
    job.reply_http(b"hi\n", 200, "OK", &[("Content-Type", "text/plain")])
        .unwrap();
    job.done().unwrap();
    let (_, reply) = broker.expect_raw();
    let body = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nhi\n";
    let mut expected = GW.to_vec();
    expected.extend_from_slice(b" 1:1, ");
    expected.extend_from_slice(body);
    assert_eq!(reply, [b"".to_vec(), b"S0W2\x03".to_vec(), expected]);
    let (_, frames) = broker.expect_raw();
    assert_eq!(frames, [b"".to_vec(), head(4, 7)]);
}

#[test]
fn reply_and_done_is_one_reply_done_message_and_a_notice_only_replies() {
    let (_dir, broker) = broker();
    let worker = connect(&broker, 1);
    let identity = broker.accept();
    broker.send(&identity, &request(7));
    let held = job(&worker);
    broker.send(&identity, &cancel(7));
    job(&worker).reply_and_done(b"bye").unwrap();
    let mut expected = GW.to_vec();
    expected.extend_from_slice(b" 1:1, bye");
    assert_eq!(
        broker.expect().1,
        Command::Reply {
            reply: expected.into()
        }
    );
    held.reply_http_and_done(b"hi\n", 200, "OK", &[]).unwrap();
    let (_, frames) = broker.expect_raw();
    let mut expected = GW.to_vec();
    expected.extend_from_slice(b" 1:1, HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nhi\n");
    assert_eq!(frames, [b"".to_vec(), head(0x0a, 7), expected]);
    broker.send(&identity, &request(8));
    assert_eq!(job(&worker).id(), RequestId(8), "the slot was freed");
}

#[test]
fn deliver_addresses_other_connections_and_close_sends_an_empty_body() {
    let (_dir, broker) = broker();
    let worker = connect(&broker, 1);
    let identity = broker.accept();
    broker.send(&identity, &request(1));
    let job = job(&worker);
    job.deliver(&[1, 5, 9], b"tick").unwrap();
    job.close().unwrap();
    drop(job);
    let reply = |body: &[u8], ids: &[u8]| {
        let mut r = GW.to_vec();
        r.extend_from_slice(ids);
        r.extend_from_slice(body);
        Command::Reply { reply: r.into() }
    };
    assert_eq!(broker.expect().1, reply(b"tick", b" 5:1 5 9, "));
    assert_eq!(broker.expect().1, reply(b"", b" 1:1, "));
    assert_eq!(broker.expect().1, done(1), "dropping a job sends DONE");
}

#[test]
fn cancel_surfaces_as_a_notice_job_and_flags_the_request() {
    let (_dir, broker) = broker();
    let worker = connect(&broker, 1);
    let identity = broker.accept();
    broker.send(&identity, &request(3));
    let held = job(&worker);
    broker.send(&identity, &cancel(3));
    let notice = job(&worker);
    assert!(notice.is_cancel());
    assert_eq!(notice.id(), RequestId(3));
    assert!(notice.request().unwrap().is_notice());
    assert!(held.is_cancelled());
    notice.done().unwrap();
    held.done().unwrap();
    assert_eq!(
        broker.expect().1,
        done(3),
        "only the request's job sends DONE"
    );
}

#[test]
fn capacity_n_gives_n_jobs_at_once_never_more() {
    let (_dir, broker) = broker();
    let worker = connect(&broker, 3);
    let identity = broker.accept();
    (1..=4).for_each(|id| broker.send(&identity, &request(id)));
    assert_eq!(
        broker.expect().1,
        done(4),
        "the fourth is given back at once"
    );
    let jobs: Vec<_> = (0..3).map(|_| job(&worker)).collect();
    let ids: Vec<u64> = jobs.iter().map(|j| j.id().0).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert!(worker.recv_timeout(Duration::ZERO).is_none());
    let mut jobs = jobs.into_iter();
    jobs.next().unwrap().done().unwrap();
    assert_eq!(broker.expect().1, done(1));
    broker.send(&identity, &request(5));
    assert_eq!(job(&worker).id(), RequestId(5));
}

#[test]
fn threads_sharing_a_worker_serve_its_slots_concurrently() {
    let (_dir, broker) = broker();
    let worker = connect(&broker, 2);
    let identity = broker.accept();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (worker, barrier) = (worker.clone(), barrier.clone());
            std::thread::spawn(move || {
                let job = job(&worker);
                barrier.wait();
                job.reply(b"both ran at once").unwrap();
            })
        })
        .collect();
    broker.send(&identity, &request(1));
    broker.send(&identity, &request(2));
    threads.into_iter().for_each(|t| t.join().unwrap());
    let mut seen: Vec<Command> = (0..4).map(|_| broker.expect().1).collect();
    seen.retain(|c| matches!(c, Command::Done { .. }));
    assert_eq!(seen.len(), 2);
}

#[test]
fn timing_announced_by_the_broker_is_adopted() {
    let (_dir, broker) = broker();
    let _worker = connect(&broker, 1);
    let (identity, _) = broker.recv();
    broker.send(&identity, &heartbeat(10, 100));
    for _ in 0..5 {
        assert_eq!(broker.recv().1, Command::Heartbeat { timing: None });
    }
}

#[test]
fn replies_to_a_stopped_worker_fail_with_stopped() {
    let (_dir, broker) = broker();
    let worker = connect(&broker, 1);
    let identity = broker.accept();
    broker.send(&identity, &request(1));
    let job = job(&worker);
    let err = worker.shutdown(Duration::ZERO).unwrap_err();
    assert!(
        matches!(err, Error::GraceElapsed { abandoned: 1 }),
        "{err:?}"
    );
    assert!(matches!(job.reply(b"late"), Err(Error::Stopped)));
    assert!(job.is_cancelled());
}

#[test]
fn a_one_message_outbox_still_delivers_every_reply_in_order() {
    let (_dir, broker) = broker();
    let settings = crate::worker::Settings {
        outbox: 1,
        ..fast()
    };
    let worker = Worker::connect(&broker.endpoint, &["hello"], 1, settings).unwrap();
    let identity = broker.accept();
    broker.send(&identity, &request(1));
    let job = job(&worker);
    for i in 0..300 {
        job.reply(format!("chunk {i}").as_bytes()).unwrap();
    }
    job.done().unwrap();
    expect_chunks(&broker, 300, 1);
}

#[test]
fn a_message_with_too_many_frames_is_dropped_and_serving_goes_on() {
    let (_dir, broker) = broker();
    let worker = connect(&broker, 1);
    let identity = broker.accept();
    let mut frames = vec![identity.clone()];
    frames.extend((0..20).map(|i| vec![i; 3]));
    broker.router.send_multipart(frames, 0).unwrap();
    broker.send(&identity, &request(2));
    assert_eq!(job(&worker).id(), RequestId(2));
}
