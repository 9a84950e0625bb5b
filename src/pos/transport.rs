//! Blocking transports for the terminal: connect, send a frame, wait for one.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
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
        Ok(TcpConnection {
            stream,
            splitter: FrameSplitter::new(self.framing),
            framing: self.framing,
            timeout: self.timeout,
        })
    }
}

/// A framed TCP connection.
#[derive(Debug)]
pub struct TcpConnection {
    stream: TcpStream,
    splitter: FrameSplitter,
    framing: Framing,
    timeout: Duration,
}

impl TcpConnection {
    /// Wraps an accepted stream (host side).
    pub fn from_stream(stream: TcpStream, framing: Framing, timeout: Duration) -> Self {
        TcpConnection {
            stream,
            splitter: FrameSplitter::new(framing),
            framing,
            timeout,
        }
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
                Ok(0) => return Ok(None),
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
