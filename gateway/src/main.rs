//! The `scale0` command.

fn main() {
    println!("scale0: skeleton");
}
