//! A PostgreSQL connection that waits for `NOTIFY`, through libpq itself. Diesel reads a
//! connection only when asked, so hearing notifications through it means asking over and
//! over; this one sleeps in `poll(2)` on the connection's socket until the server says
//! something, so an event reaches the other nodes at once and an idle node stays asleep.

use pq_sys::{ConnStatusType, ExecStatusType, PGconn};
use std::ffi::{CStr, CString};
use std::time::Duration;

pub struct Listener {
    conn: *mut PGconn,
}

impl Listener {
    /// Connect to `url` and `LISTEN` on `channel` (a plain identifier).
    pub fn connect(url: &str, channel: &str) -> Result<Listener, String> {
        let url = CString::new(url).map_err(|_| "the database URL holds a NUL byte")?;
        // SAFETY: a valid C string; the connection is owned by the Listener, whose Drop
        // finishes it (PQfinish also frees a connection that failed).
        let listener = Listener {
            conn: unsafe { pq_sys::PQconnectdb(url.as_ptr()) },
        };
        // SAFETY: PQstatus accepts any connection libpq returned, even a failed one.
        if listener.conn.is_null()
            || unsafe { pq_sys::PQstatus(listener.conn) } != ConnStatusType::CONNECTION_OK
        {
            return Err(listener.error());
        }
        // SAFETY: an open connection; the processor ignores its arguments.
        unsafe {
            pq_sys::PQsetNoticeProcessor(listener.conn, Some(ignore_notice), std::ptr::null_mut())
        };
        listener.exec(&format!("LISTEN {channel}"))?;
        Ok(listener)
    }

    fn exec(&self, sql: &str) -> Result<(), String> {
        let sql = CString::new(sql).map_err(|_| "a statement holds a NUL byte")?;
        // SAFETY: an open connection and a valid C string; the result is cleared here.
        unsafe {
            let result = pq_sys::PQexec(self.conn, sql.as_ptr());
            let ok = pq_sys::PQresultStatus(result) == ExecStatusType::PGRES_COMMAND_OK;
            pq_sys::PQclear(result);
            if ok {
                Ok(())
            } else {
                Err(self.error())
            }
        }
    }

    /// What libpq says went wrong last.
    fn error(&self) -> String {
        if self.conn.is_null() {
            return "out of memory for a PostgreSQL connection".into();
        }
        // SAFETY: libpq's message lives as long as the connection, and is copied here.
        let message = unsafe { CStr::from_ptr(pq_sys::PQerrorMessage(self.conn)) };
        message.to_string_lossy().trim().to_string()
    }

    /// Wait up to `timeout` for the server, then pass each notification's payload to
    /// `heard`. An error means the connection is lost.
    pub fn wait(&mut self, timeout: Duration, mut heard: impl FnMut(&str)) -> Result<(), String> {
        // SAFETY: an open connection.
        let fd = unsafe { pq_sys::PQsocket(self.conn) };
        if fd < 0 {
            return Err(self.error());
        }
        let mut socket = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut socket, 1, millis) };
        if ready < 0 {
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::Interrupted {
                return Err(error.to_string());
            }
        }
        // SAFETY: an open connection; a closed socket makes PQconsumeInput fail.
        if ready > 0 && unsafe { pq_sys::PQconsumeInput(self.conn) } == 0 {
            return Err(self.error());
        }
        loop {
            // SAFETY: each notification is read, then freed with PQfreemem as libpq asks.
            unsafe {
                let notification = pq_sys::PQnotifies(self.conn);
                if notification.is_null() {
                    return Ok(());
                }
                heard(&CStr::from_ptr((*notification).extra).to_string_lossy());
                pq_sys::PQfreemem(notification.cast());
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // SAFETY: the connection is not used after this; PQfinish accepts a null one.
        unsafe { pq_sys::PQfinish(self.conn) }
    }
}

/// libpq prints the server's notices on standard error by default, among them the message a
/// server sends as it closes the connection; losing the connection is logged by the caller.
unsafe extern "C" fn ignore_notice(_: *mut std::ffi::c_void, _: *const std::ffi::c_char) {}
