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

#[test]
fn a_reused_builder_sets_and_encodes_without_allocating() {
    for spec in [&ISO87_ASCII, &ISO87_BINARY] {
        let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
        let mut buf = BytesMut::with_capacity(512);
        let mut fill = |b: &mut MessageBuilder<'static>, i: u32| {
            b.clear();
            b.set(2, "4111111111111111").unwrap();
            b.set(3, "000000").unwrap();
            b.set(4, 10_000 + i).unwrap();
            b.set(7, "1122102030").unwrap();
            b.set(11, 1 + i % 999_999).unwrap();
            b.set(37, "123456789012").unwrap();
            b.set(41, "TERM0001").unwrap();
            b.set(42, "MERCHANT0000001").unwrap();
            b.set(49, "840").unwrap();
            buf.clear();
            b.encode_into(&mut buf).unwrap();
        };
        // The first message grows the store and the buffer; the next ones reuse them.
        fill(&mut b, 0);
        let n = allocations_during(|| {
            for i in 1..200 {
                fill(&mut b, i);
            }
        });
        assert_eq!(n, 0, "{}: a reused builder allocated {n} times", spec.name);
    }
}

#[test]
fn the_builder_is_small_and_owns_its_values() {
    // Cheap to move: the values live in its store.
    assert!(
        std::mem::size_of::<MessageBuilder<'static>>() <= 1024,
        "{} bytes",
        std::mem::size_of::<MessageBuilder<'static>>()
    );
    let mut b = MessageBuilder::new(&ISO87_ASCII, Mti::new(200).unwrap());
    {
        // Temporaries of every kind; none has to outlive the builder.
        let name = format!("{:<40}", "SHOP 12, MAIN STREET");
        b.set(43, name).unwrap();
        b.set(48, String::from("AB CD").as_str()).unwrap();
        b.set(4, 1500_i32).unwrap();
        b.set(11, 42_usize).unwrap();
        b.set(12, 102_030_i64).unwrap();
        b.set(55, vec![b'9'; 300]).unwrap();
        b.set(11, iso8583_wire::fields::Stan::new(43).unwrap())
            .unwrap();
    }
    assert!(b.set(4, -1_i32).is_err(), "negative amounts are refused");
    let msg_bytes = b.to_bytes().unwrap();
    let msg = Message::decode(&ISO87_ASCII, &msg_bytes).unwrap();
    assert_eq!(msg.field(4).unwrap().as_str(), Some("000000001500"));
    assert_eq!(msg.field(11).unwrap().as_str(), Some("000043"));
    assert_eq!(msg.field(12).unwrap().as_str(), Some("102030"));
    assert_eq!(msg.field(55).unwrap().len(), 300);
    assert!(
        msg.field(43)
            .unwrap()
            .as_str()
            .unwrap()
            .starts_with("SHOP 12")
    );
}
