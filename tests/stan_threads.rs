//! STAN sequences shared between threads never hand out the same STAN twice.

use std::collections::HashSet;
use std::sync::Arc;

use iso8583_wire::fields::Stan;
use iso8583_wire::trace::{AtomicStanSequence, FileStanSequence, StanSequence};

fn collect<S: StanSequence + Send + Sync + 'static>(
    seq: Arc<S>,
    threads: usize,
    each: usize,
) -> Vec<u32>
where
    S::Error: std::fmt::Debug,
{
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let seq = Arc::clone(&seq);
            std::thread::spawn(move || {
                (0..each)
                    .map(|_| seq.next_stan().unwrap().value())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect()
}

#[test]
fn atomic_sequence_is_unique_and_gapless_under_threads() {
    let seq = Arc::new(AtomicStanSequence::new());
    let mut all = collect(Arc::clone(&seq), 8, 20_000);
    all.sort_unstable();
    assert_eq!(all, (1..=160_000).collect::<Vec<u32>>());
    assert_eq!(seq.last_issued(), Some(Stan::new(160_000).unwrap()));
}

#[test]
fn atomic_sequence_wraps_without_zero() {
    let seq = Arc::new(AtomicStanSequence::starting_at(Stan::new(999_990).unwrap()));
    let all = collect(seq, 4, 10);
    let set: HashSet<u32> = all.iter().copied().collect();
    assert_eq!(set.len(), 40);
    assert!(!set.contains(&0));
    assert!(set.contains(&999_999) && set.contains(&1) && set.contains(&30));
}

#[test]
fn file_sequence_is_unique_under_threads() {
    let dir = std::env::temp_dir().join(format!("iso8583-wire-threads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("shared.stan");
    let _ = std::fs::remove_file(&path);
    let seq = Arc::new(FileStanSequence::create(&path, Stan::FIRST, 16).unwrap());
    let all = collect(seq, 4, 300);
    let set: HashSet<u32> = all.iter().copied().collect();
    assert_eq!(set.len(), 1200);
    // Reopened, it continues above everything handed out.
    let reopened = FileStanSequence::open(&path, 16).unwrap();
    let next = reopened.next_stan().unwrap().value();
    assert!(all.iter().all(|&s| s < next));
    std::fs::remove_dir_all(&dir).unwrap();
}
