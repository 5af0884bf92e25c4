use super::*;

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn mapped_settings_become_keys() {
    let (keys, warnings) = convert(
        &pairs(&[
            ("limits.content_length", "20480"),
            ("limits.buffer_size", "8192"),
            ("limits.header_count", "64"),
            ("upload.stream", "1"),
            ("download.flow_control", "0"),
            ("upload.temp_store", "/tmp/up.XXXXXX"),
            ("upload.temp_store_mode", "0666"),
            ("control_port", "ipc://run/control"),
        ]),
        Some("/srv"),
        false,
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let written: Vec<(Section, &str, &str)> = keys
        .iter()
        .map(|k| (k.section, k.key, k.value.as_str()))
        .collect();
    assert_eq!(
        written,
        [
            (Section::Defaults, "inline_body_bytes", "20480"),
            (Section::Listener, "max_header_bytes", "8192"),
            (Section::Listener, "max_headers", "64"),
            (Section::Defaults, "upload_stream", "true"),
            (Section::Defaults, "download_credits", "false"),
            (Section::Upload, "temp_store", "\"/srv/tmp/up.XXXXXX\""),
            (Section::Upload, "temp_store_mode", "\"0666\""),
            (Section::Gateway, "control_port", "\"ipc://run/control\""),
        ]
    );
    let (keys, _) = convert(&pairs(&[("control_port", "ipc://x")]), None, true);
    assert!(keys.is_empty());
}

#[test]
fn out_of_range_or_unparsable_values_are_warned() {
    let (keys, warnings) = convert(
        &pairs(&[
            ("limits.header_count", "5000"),
            ("limits.content_length", "lots"),
            ("upload.stream", "yes"),
        ]),
        None,
        false,
    );
    assert!(keys.is_empty());
    assert_eq!(warnings.len(), 3);
    let (_, relative) = convert(
        &pairs(&[("upload.temp_store", "/t/u.XXXXXX")]),
        Some("./"),
        false,
    );
    assert!(
        relative[0].reason.contains("\"./t/u.XXXXXX\""),
        "{}",
        relative[0]
    );
    assert!(warnings[0].reason.contains("1 to 1280"), "{}", warnings[0]);
}

#[test]
fn unmapped_and_unknown_settings_say_why() {
    let (keys, warnings) = convert(
        &pairs(&[
            ("zeromq.threads", "1"),
            ("made.up", "1"),
            (DISABLE_ACCESS_LOG, "1"),
        ]),
        None,
        false,
    );
    assert!(keys.is_empty());
    assert_eq!(warnings.len(), 2);
    assert_eq!(warnings[0].object, "settings \"zeromq.threads\"");
    assert!(warnings[1].reason.contains("not a setting"));
    assert!(access_log_disabled(&pairs(&[(DISABLE_ACCESS_LOG, "1")])));
    assert!(!access_log_disabled(&pairs(&[(DISABLE_ACCESS_LOG, "0")])));
}
