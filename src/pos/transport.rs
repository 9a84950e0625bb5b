//! Blocking transports for the terminal: connect, send a frame, wait for one.
//!
//! * [`TcpTransport`] opens a connection per exchange. A response that comes after
//!   the terminal stopped waiting goes to a closed connection and is never seen.
//! * [`PersistentTcpTransport`] keeps one connection across exchanges and opens a new
//!   one when it fails (an I/O error, or the host closed it). A response that comes
//!   late stays on the connection and is read during a later exchange; the
//!   [`Terminal`](crate::pos::Terminal) matches every response by MTI, STAN and
//!   field 41, and records one that belongs to a transaction it gave up on as a late
//!   response in its journal.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use std::vec::Vec;

use crate::frame::{FrameSplitter, Framing};

/// Something a terminal can reach its host through.
pub trait Transport {
    /// An open connection.
    type Conn: Connection;
    /// Opens a connection. An error means nothing was sent.
    fn connect(&mut self) -> io::Result<Self::Conn>;
}

/// An open connection carrying whole messages.
pub trait Connection {
    /// Sends one message (the transport adds any framing).
    fn send(&mut self, message: &[u8]) -> io::Result<()>;
    /// Waits for one message; `Ok(None)` when none came in time.
    fn receive(&mut self) -> io::Result<Option<Vec<u8>>>;
}

/// TCP with a length-header framing and a response timeout.
#[derive(Debug, Clone)]
pub struct TcpTransport {
    /// The host's address.
    pub addr: SocketAddr,
    /// The framing (usually a 2-byte binary length).
    pub framing: Framing,
    /// How long to wait for a connection and for a response.
    pub timeout: Duration,
}

impl Transport for TcpTransport {
    type Conn = TcpConnection;

    fn connect(&mut self) -> io::Result<TcpConnection> {
        let stream = TcpStream::connect_timeout(&self.addr, self.timeout)?;
        stream.set_nodelay(true)?;
        Ok(TcpConnection::from_stream(
            stream,
            self.framing,
            self.timeout,
        ))
    }
}

/// A framed TCP connection.
#[derive(Debug)]
pub struct TcpConnection {
    stream: TcpStream,
    splitter: FrameSplitter,
    framing: Framing,
    timeout: Duration,
    /// The peer closed the connection (a read returned end of file).
    closed: bool,
}

impl TcpConnection {
    /// Wraps an accepted stream (host side).
    pub fn from_stream(stream: TcpStream, framing: Framing, timeout: Duration) -> Self {
        TcpConnection {
            stream,
            splitter: FrameSplitter::new(framing),
            framing,
            timeout,
            closed: false,
        }
    }

    /// Whether the connection can still carry an exchange: the peer has not closed it
    /// and it reports no error. Never blocks; data waiting to be read is left there.
    fn is_usable(&mut self) -> bool {
        if self.closed || self.stream.set_nonblocking(true).is_err() {
            return false;
        }
        let mut probe = [0u8; 1];
        let usable = match self.stream.peek(&mut probe) {
            Ok(0) => false,
            Ok(_) => true,
            Err(e) => e.kind() == io::ErrorKind::WouldBlock,
        };
        self.stream.set_nonblocking(false).is_ok() && usable
    }
}

impl Connection for TcpConnection {
    fn send(&mut self, message: &[u8]) -> io::Result<()> {
        let mut out = Vec::with_capacity(message.len() + 4);
        self.framing
            .encode(message, &mut out)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        self.stream.write_all(&out)?;
        self.stream.flush()
    }

    fn receive(&mut self) -> io::Result<Option<Vec<u8>>> {
        let deadline = Instant::now() + self.timeout;
        let mut buf = [0u8; 4096];
        loop {
            match self.splitter.next_frame() {
                Ok(Some(frame)) => return Ok(Some(frame.to_vec())),
                Ok(None) => {}
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            self.stream.set_read_timeout(Some(left))?;
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    self.closed = true;
                    return Ok(None);
                }
                Ok(n) => self.splitter.push(buf.get(..n).unwrap_or(&[])),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(None);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// TCP on one connection kept across exchanges, with a length-header framing and a
/// response timeout.
///
/// [`Transport::connect`] hands out the open connection; it opens a new one when there
/// is none, or when the last one failed (an I/O error, the host closed it). Frames
/// that arrive while nobody reads (a response that came late) wait on the connection
/// for the next exchange, where the [`Terminal`](crate::pos::Terminal) records them.
/// Clones share the connection.
///
/// ```no_run
/// use std::time::Duration;
/// use iso8583_wire::frame::{Framing, LengthHeader};
/// use iso8583_wire::pos::PersistentTcpTransport;
///
/// let addr = "127.0.0.1:5000".parse().expect("an address");
/// let transport = PersistentTcpTransport::new(
///     addr,
///     Framing::new(LengthHeader::Binary2),
///     Duration::from_secs(30),
/// );
/// assert_eq!(transport.connections_opened(), 0); // connects on first use
/// ```
#[derive(Debug, Clone)]
pub struct PersistentTcpTransport {
    addr: SocketAddr,
    framing: Framing,
    timeout: Duration,
    shared: Arc<Mutex<Shared>>,
}

#[derive(Debug, Default)]
struct Shared {
    conn: Option<TcpConnection>,
    opened: u64,
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // A panic elsewhere while holding the lock leaves nothing half-done worth
    // refusing: at worst the connection is dropped below on the next failure.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

impl PersistentTcpTransport {
    /// A transport to `addr`; nothing is opened until the first exchange.
    pub fn new(addr: SocketAddr, framing: Framing, timeout: Duration) -> Self {
        PersistentTcpTransport {
            addr,
            framing,
            timeout,
            shared: Arc::new(Mutex::new(Shared::default())),
        }
    }

    /// The host's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How long to wait for a connection and for each response.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Connections opened so far (1 + reconnections, once used).
    pub fn connections_opened(&self) -> u64 {
        lock(&self.shared).opened
    }

    /// Closes the connection (the next exchange opens a new one). Frames not read yet
    /// are lost with it.
    pub fn disconnect(&self) {
        lock(&self.shared).conn = None;
    }
}

impl Transport for PersistentTcpTransport {
    type Conn = PersistentConnection;

    fn connect(&mut self) -> io::Result<PersistentConnection> {
        let mut shared = lock(&self.shared);
        let usable = shared.conn.as_mut().is_some_and(TcpConnection::is_usable);
        if !usable {
            shared.conn = None;
            let stream = TcpStream::connect_timeout(&self.addr, self.timeout)?;
            stream.set_nodelay(true)?;
            shared.conn = Some(TcpConnection::from_stream(
                stream,
                self.framing,
                self.timeout,
            ));
            shared.opened = shared.opened.saturating_add(1);
        }
        Ok(PersistentConnection {
            shared: Arc::clone(&self.shared),
        })
    }
}

/// The connection a [`PersistentTcpTransport`] hands out; dropping it keeps the
/// connection open for the next exchange. A failure closes it.
#[derive(Debug)]
pub struct PersistentConnection {
    shared: Arc<Mutex<Shared>>,
}

fn not_connected() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the connection was closed")
}

impl Connection for PersistentConnection {
    fn send(&mut self, message: &[u8]) -> io::Result<()> {
        let mut shared = lock(&self.shared);
        let conn = shared.conn.as_mut().ok_or_else(not_connected)?;
        let sent = conn.send(message);
        if sent.is_err() {
            shared.conn = None;
        }
        sent
    }

    fn receive(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut shared = lock(&self.shared);
        let conn = shared.conn.as_mut().ok_or_else(not_connected)?;
        let received = conn.receive();
        let failed = received.is_err() || conn.closed;
        if failed {
            // A framing error leaves the stream out of step; end of file, closed.
            shared.conn = None;
        }
        received
    }
}
