//! A thin streaming layer over quick-xml: start/end/text events with local names, attribute maps,
//! entity references resolved, and error positions as line and column.

use std::io::BufRead;

use quick_xml::events::Event;

use crate::error::{Location, WatchlistError};

/// A [`BufRead`] that counts the lines it has handed out, so errors can name a line and column.
pub(crate) struct LineCounter<R> {
    inner: R,
    line: u64,
    line_start: u64,
    consumed: u64,
}

impl<R: BufRead> LineCounter<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            line: 1,
            line_start: 0,
            consumed: 0,
        }
    }
}

impl<R: BufRead> std::io::Read for LineCounter<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let amt = amt.min(buf.len());
            for (i, &b) in buf[..amt].iter().enumerate() {
                if b == b'\n' {
                    self.line += 1;
                    self.line_start = self.consumed + i as u64 + 1;
                }
            }
            self.consumed += amt as u64;
            self.inner.consume(amt);
        }
    }
}

/// One simplified XML event.
pub(crate) enum XmlEvent {
    /// An element opens. `empty` is true for `<a/>` (no end event follows).
    Start {
        name: String,
        attrs: Vec<(String, String)>,
    },
    /// An element closes; `text` is the text directly inside it (trimmed).
    End { name: String, text: String },
    /// End of document.
    Eof,
}

pub(crate) struct XmlWalker<R: BufRead> {
    reader: quick_xml::Reader<LineCounter<R>>,
    buf: Vec<u8>,
    text: String,
    stack: Vec<String>,
    pending_end: Option<String>,
    file: String,
}

impl<R: BufRead> XmlWalker<R> {
    pub(crate) fn new(inner: R, file: &str) -> Self {
        let mut reader = quick_xml::Reader::from_reader(LineCounter::new(inner));
        reader.config_mut().trim_text(false);
        reader.config_mut().expand_empty_elements = false;
        Self {
            reader,
            buf: Vec::with_capacity(4096),
            text: String::new(),
            stack: Vec::new(),
            pending_end: None,
            file: file.to_string(),
        }
    }

    /// The open elements, innermost last (after an `End`, its parent is last).
    pub(crate) fn stack(&self) -> &[String] {
        &self.stack
    }

    /// An error at the current position.
    pub(crate) fn error(&self, reason: impl Into<String>) -> WatchlistError {
        make_error(&self.reader, &self.stack, &self.file, reason.into())
    }

    /// The next event.
    pub(crate) fn next(&mut self) -> Result<XmlEvent, WatchlistError> {
        if let Some(name) = self.pending_end.take() {
            self.stack.pop();
            return Ok(XmlEvent::End {
                name,
                text: String::new(),
            });
        }
        loop {
            self.buf.clear();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(e) => e,
                Err(e) => {
                    let mut msg = format!("XML syntax error: {e}");
                    if msg.contains("end of input") {
                        msg.push_str(" (file truncated?)");
                    }
                    return Err(make_error(&self.reader, &self.stack, &self.file, msg));
                }
            };
            let is_empty = matches!(event, Event::Empty(_));
            match event {
                Event::Start(e) | Event::Empty(e) => {
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    let mut attrs = Vec::new();
                    for attr in e.attributes() {
                        let attr = match attr {
                            Ok(a) => a,
                            Err(err) => {
                                let msg = format!("bad attribute in <{name}>: {err}");
                                return Err(make_error(&self.reader, &self.stack, &self.file, msg));
                            }
                        };
                        let key =
                            String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
                        let value = match attr.unescape_value() {
                            Ok(v) => v.into_owned(),
                            Err(err) => {
                                let msg =
                                    format!("bad value of attribute {key} in <{name}>: {err}");
                                return Err(make_error(&self.reader, &self.stack, &self.file, msg));
                            }
                        };
                        attrs.push((key, value));
                    }
                    self.text.clear();
                    self.stack.push(name.clone());
                    if is_empty {
                        self.pending_end = Some(name.clone());
                    }
                    return Ok(XmlEvent::Start { name, attrs });
                }
                Event::End(e) => {
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    match self.stack.last() {
                        Some(open) if *open == name => {}
                        other => {
                            let msg = format!(
                                "closing </{name}> does not match the open element {}",
                                other
                                    .map(|o| format!("<{o}>"))
                                    .unwrap_or_else(|| "(none)".into())
                            );
                            return Err(make_error(&self.reader, &self.stack, &self.file, msg));
                        }
                    }
                    let text = std::mem::take(&mut self.text).trim().to_string();
                    self.stack.pop();
                    return Ok(XmlEvent::End { name, text });
                }
                Event::Text(t) => match t.decode() {
                    Ok(s) => self.text.push_str(&s),
                    Err(err) => {
                        let msg = format!("text is not valid UTF-8: {err}");
                        return Err(make_error(&self.reader, &self.stack, &self.file, msg));
                    }
                },
                Event::CData(t) => self.text.push_str(&String::from_utf8_lossy(&t)),
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c),
                        Ok(None) => match r.as_ref() {
                            b"amp" => Some('&'),
                            b"lt" => Some('<'),
                            b"gt" => Some('>'),
                            b"quot" => Some('"'),
                            b"apos" => Some('\''),
                            _ => None,
                        },
                        Err(_) => None,
                    };
                    match resolved {
                        Some(c) => self.text.push(c),
                        None => {
                            let msg = format!(
                                "unknown entity reference &{};",
                                String::from_utf8_lossy(r.as_ref())
                            );
                            return Err(make_error(&self.reader, &self.stack, &self.file, msg));
                        }
                    }
                }
                Event::Eof => {
                    if let Some(open) = self.stack.last() {
                        let msg = format!("file ends before <{open}> is closed (truncated?)");
                        return Err(make_error(&self.reader, &self.stack, &self.file, msg));
                    }
                    return Ok(XmlEvent::Eof);
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            }
        }
    }
}

fn make_error<R: BufRead>(
    reader: &quick_xml::Reader<LineCounter<R>>,
    stack: &[String],
    file: &str,
    reason: String,
) -> WatchlistError {
    let counter = reader.get_ref();
    WatchlistError::Malformed {
        at: Location {
            file: file.to_string(),
            line: Some(counter.line),
            column: Some(counter.consumed.saturating_sub(counter.line_start) + 1),
            element: stack.last().map(|e| format!("<{e}>")),
        },
        reason,
    }
}
