//! Decoding allocates nothing, and encoding into a reused buffer allocates nothing once
//! the buffer has grown: checked with a counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::BytesMut;
use iso8583_wire::layouts::{CUP, ISO87_ASCII, ISO87_BINARY};
use iso8583_wire::wire::hex;
use iso8583_wire::{Message, MessageBuilder, Mti};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counter is a
// const-initialised thread-local that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

/// The reference 0200 purchase (iso87ascii).
const REFERENCE_0200: &[u8] = b"02007238048008C080001641111111111111110000000000000100001122102030123456102030112205100123456789012TERM0001MERCHANT0000001840";

#[test]
fn decode_allocates_nothing() {
    let cup = hex::decode("60000300006031003101000200703C06C000C49A1716622424230000006900000000000000111100007914155408242903071000000012313030313639313938343332393030343538323030304200695049303634303430323032303531343030303032343032313036383730303030303031303630363030303036393037303844333930334633393038303856302E302E332E303135360000000000000000241000000000000001459F260846FD62985CAAE7589F2701809F101307011703A00000010A0100000500001EF41C469F37049536C9B89F36020C66950500000000009A032208249C01009F02060000000011115F2A02015682027C009F1A0201569F03060000000000009F330360E9C89F34030000009F3501229F1E0831323334353637388408A0000003330101029F090200309F4104000000010013220007270006000024FF02213436307C30307C32383638387C34333232323834390021534D303136CDC489E91786D0BE01F543D813611BCD3833353932373435").unwrap();
    let n = allocations_during(|| {
        let msg = Message::decode(&ISO87_ASCII, REFERENCE_0200).unwrap();
        assert_eq!(msg.field(11).unwrap().as_str(), Some("123456"));
        assert_eq!(msg.field(4).unwrap().to_u64(), Ok(10000));
        let msg = Message::decode(&CUP, &cup).unwrap();
        assert_eq!(msg.field(2).unwrap().symbols().count(), 16);
        assert!(msg.fields().all(|f| f.symbols().count() == f.len()));
    });
    assert_eq!(n, 0, "decode allocated {n} times");
}

#[test]
fn encode_into_reused_buffer_allocates_nothing() {
    let msg = Message::decode(&ISO87_ASCII, REFERENCE_0200).unwrap();
    let copy = MessageBuilder::from_message(&msg);
    let mut built = MessageBuilder::new(&ISO87_BINARY, Mti::new(200).unwrap());
    built
        .set(2, "4111111111111111")
        .unwrap()
        .set(3, 0u32)
        .unwrap()
        .set(4, 10_000u64)
        .unwrap()
        .set(11, 123_456u32)
        .unwrap()
        .set(41, "TERM0001")
        .unwrap()
        .set(49, "840")
        .unwrap();
    let mut buf = BytesMut::with_capacity(512);
    let n = allocations_during(|| {
        for _ in 0..100 {
            buf.clear();
            copy.encode_into(&mut buf).unwrap();
            assert_eq!(&buf[..], REFERENCE_0200);
            buf.clear();
            built.encode_into(&mut buf).unwrap();
        }
        let mut slice = [0u8; 256];
        let len = copy.encode_to_slice(&mut slice).unwrap();
        assert_eq!(&slice[..len], REFERENCE_0200);
    });
    assert_eq!(n, 0, "encode allocated {n} times");
}
