//! Which version the link speaks: S0G/2 to a broker that answers it, S0G/1 to one from before S0G/2.

use super::*;

/// Waits for the link's SUBMIT of request 9 (skipping heartbeats) and returns its version.
async fn submit_version(broker: &mut FakeBroker) -> Version {
    let (version, submit) = next_submit_versioned(broker).await;
    assert!(
        matches!(submit, Command::Submit { request: 9, .. }),
        "expected SUBMIT 9, got {submit:?}"
    );
    version
}

#[tokio::test]
async fn a_broker_answering_s0g2_gets_s0g2() {
    let Linked {
        _dir,
        _ctx,
        mut broker,
        tx,
        mut rx,
    } = linked().await;
    let (version, first) = broker.recv_versioned().await;
    assert_eq!((version, first), (Version::V2, Command::Heartbeat));
    broker.send_in(&Command::Heartbeat, Version::V2);
    assert_eq!(next(&mut rx).await, FromBroker::Up);
    tx.send(submit(9)).await.unwrap();
    assert_eq!(submit_version(&mut broker).await, Version::V2);
}

#[tokio::test]
async fn a_broker_from_before_s0g2_is_probed_in_s0g1_and_spoken_to_in_it() {
    let Linked {
        _dir,
        _ctx,
        mut broker,
        tx,
        mut rx,
    } = linked().await;
    // An old broker drops what it cannot decode (S0G/2) and answers the S0G/1 HEARTBEAT.
    let mut dropped = 0;
    loop {
        match broker.recv_versioned().await {
            (Version::V2, _) => dropped += 1,
            (Version::V1, Command::Heartbeat) => break,
            other => panic!("expected a HEARTBEAT, got {other:?}"),
        }
    }
    assert!(dropped >= 1, "the first HEARTBEAT is S0G/2");
    broker.send_in(&Command::Heartbeat, Version::V1);
    assert_eq!(next(&mut rx).await, FromBroker::Up);
    tx.send(submit(9)).await.unwrap();
    assert_eq!(submit_version(&mut broker).await, Version::V1);
}
