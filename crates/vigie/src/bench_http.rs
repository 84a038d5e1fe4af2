//! A keep-alive HTTP/1.1 client connection for the benchmarks that go
//! through a real socket on 127.0.0.1 (`vigie bench`, `vigie bench
//! events`): the load generator is part of what they measure.

use anyhow::bail;
use axum::body::Bytes;
use axum::http::{Request, header};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A keep-alive HTTP/1.1 connection to the server.
pub struct Connection {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    host: String,
}

impl Connection {
    /// Connects to the server at `addr`.
    pub async fn open(addr: SocketAddr) -> anyhow::Result<Connection> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        Ok(Connection {
            sender,
            host: addr.to_string(),
        })
    }

    /// Posts a JSON body with a bearer token and returns the time until the
    /// answer was read; an answer other than 2xx is an error.
    pub async fn post(&mut self, path: &str, key: &str, body: String) -> anyhow::Result<Duration> {
        let req = Request::post(path)
            .header(header::HOST, &self.host)
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))?;
        let t = Instant::now();
        self.sender.ready().await?;
        let res = self.sender.send_request(req).await?;
        let status = res.status();
        let body = res.into_body().collect().await?.to_bytes();
        let took = t.elapsed();
        if !status.is_success() {
            bail!("{status}: {}", String::from_utf8_lossy(&body));
        }
        Ok(took)
    }
}
