//! With the `tracing` feature, the terminal's workflow, decode failures and journal
//! recovery are events; none of them carries card data.

#![cfg(feature = "tracing")]

use std::sync::{Arc, Mutex};

use iso8583_wire::layouts::ISO87_ASCII;
use iso8583_wire::{Message, MessageBuilder, Mti};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Collects every event as one line of text.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<String>>>);

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
}

impl Subscriber for Collect {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = Line(event.metadata().level().to_string());
        event.record(&mut line);
        self.0.lock().unwrap().push(line.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn decode_failures_are_events_without_card_data() {
    let collect = Collect::default();
    tracing::subscriber::with_default(collect.clone(), || {
        let mut b = MessageBuilder::new(&ISO87_ASCII, Mti::new(200).unwrap());
        b.set(2, "4761739001010119").unwrap().set(11, 7).unwrap();
        let mut wire = b.to_bytes().unwrap().to_vec();
        // A letter inside the PAN: the error names field 2 and hides the byte.
        wire[26] = b'X';
        assert!(Message::decode(&ISO87_ASCII, &wire).is_err());
    });
    let lines = collect.0.lock().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("message refused") && l.contains("field 2")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .all(|l| !l.contains("4761739001010119") && !l.contains("739001")),
        "{lines:?}"
    );
}

#[test]
fn the_terminal_workflow_is_events_without_card_data() {
    use iso8583_wire::pos::{
        Connection, HostLedger, JournalConfig, MemoryLedger, Purchase, StateOptions, Terminal,
        Transport, open_state,
    };
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;
    use std::io;
    use std::rc::Rc;

    /// An in-process host whose first answer is lost.
    struct Lossy(Rc<RefCell<MemoryLedger>>, Rc<Cell<bool>>);
    struct Conn(Rc<RefCell<MemoryLedger>>, Rc<Cell<bool>>, VecDeque<Vec<u8>>);
    impl Transport for Lossy {
        type Conn = Conn;
        fn connect(&mut self) -> io::Result<Conn> {
            Ok(Conn(self.0.clone(), self.1.clone(), VecDeque::new()))
        }
    }
    impl Connection for Conn {
        fn send(&mut self, m: &[u8]) -> io::Result<()> {
            let reply = self
                .0
                .borrow_mut()
                .handle(m)
                .map_err(|e| io::Error::other(e.to_string()))?;
            if self.1.replace(false) {
                return Ok(()); // lost
            }
            self.2.push_back(reply);
            Ok(())
        }
        fn receive(&mut self) -> io::Result<Option<Vec<u8>>> {
            Ok(self.2.pop_front())
        }
    }

    let dir = std::env::temp_dir().join(format!("iso8583-tracing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let collect = Collect::default();
    tracing::subscriber::with_default(collect.clone(), || {
        let (journal, stans, _) = open_state(
            dir.join("journal.log"),
            dir.join("stan.state"),
            JournalConfig::new(&ISO87_ASCII),
            StateOptions::new(10),
        )
        .unwrap();
        let host = Rc::new(RefCell::new(MemoryLedger::new(&ISO87_ASCII)));
        let mut t = Terminal::new(
            journal,
            stans,
            Lossy(host, Rc::new(Cell::new(true))),
            "TERM0001",
            "MERCHANT0000001",
            &[],
        );
        let card = Purchase {
            pan: "4761739001010119",
            expiry: "2512",
            amount: 1500,
            currency: "840",
        };
        t.purchase(&card).unwrap();
    });
    let lines = collect.0.lock().unwrap();
    for what in [
        "request sent",
        "no response in time",
        "inquiry sent",
        "inquiry answered",
        "reversal sent",
        "reversal answered",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(what)),
            "{what} missing: {lines:?}"
        );
    }
    assert!(
        lines.iter().all(|l| !l.contains("4761739001010119")
            && !l.contains("739001")
            && !l.contains("2512")),
        "{lines:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
