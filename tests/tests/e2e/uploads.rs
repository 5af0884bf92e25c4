//! Issue 5 item 2: large request bodies, side by side with the real Mongrel2. The same client
//! bytes go to Mongrel2 (`upload.temp_store`, `upload.stream`) and to Scale0 (`[upload]
//! temp_store`, `upload_stream`); a raw handler on each checks the frames match (modulo ids and
//! the temp file's random name), the temp file holds the body, and cleanup happens as each
//! server documents (docs/parity/uploads-and-flow.md).

mod debian;
pub mod side;
mod stream;
mod temp_file;
