//! Streaming record framing for JSON exports: NDJSON, a top-level JSON array, concatenated JSON values,
//! and API pages that wrap their records in an array under a key (`value`, `items`, `records`, `data`).
//!
//! The framer never parses a record; it finds where each record starts and ends (counting string,
//! escape and nesting state) and hands out the record's bytes with its byte offset and line, so that any
//! parser can read it and a caller can checkpoint after it. Memory is bounded by the read buffer plus the
//! longest accepted record.

use std::io::Read;

use memchr::memchr;
use serde::{Deserialize, Serialize};

use crate::simd::Preclassified;

/// Keys under which API pages carry their records (Graph `value`, Google Reports `items`, Azure Monitor
/// `records`, a generic `data`).
pub const WRAPPER_KEYS: &[&[u8]] = &[b"value", b"items", b"records", b"data"];

/// The default longest record accepted (4 MiB): longer ones are rejected and skipped.
pub const DEFAULT_MAX_RECORD: usize = 4 << 20;

/// The read buffer. At least as large as the `BufReader` the CLI wraps files in (1 MiB): std's
/// `BufReader` hands a read at least its capacity straight to the file, so the bytes are copied once
/// (kernel to this buffer) rather than twice.
const BUFFER: usize = 1 << 20;

/// Where the framer stands between two records; part of a [`Checkpoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameState {
    /// At the top level of the file (start of file, or between concatenated values).
    Top,
    /// Reading one record per line (NDJSON).
    Lines,
    /// Inside an array of records; `wrapper` when the array sits under a key of a wrapping object.
    Elements {
        /// The array is the value of a wrapper key (Graph `value`, Reports `items`, …).
        wrapper: bool,
    },
}

/// A resumable position: re-open the file, seek to `offset`, and call the reader's `resume` with this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Byte offset of the next unread byte.
    pub offset: u64,
    /// 1-based line number at `offset`.
    pub line: u64,
    /// The framer's state at `offset`.
    pub state: FrameState,
}

impl Checkpoint {
    /// The start of a file.
    pub const START: Checkpoint = Checkpoint {
        offset: 0,
        line: 1,
        state: FrameState::Top,
    };
}

/// One framed record: its bytes, the byte offset of its first byte and the line it starts on.
#[derive(Debug)]
pub struct RawRecord<'a> {
    /// The record's bytes (one JSON value, or one line).
    pub bytes: &'a [u8],
    /// Byte offset of the record's first byte in the file.
    pub offset: u64,
    /// 1-based line of the record's first byte.
    pub line: u64,
    /// The string stops the framer's block pass found in the record, for the parser to take over.
    pub(crate) pre: Option<Preclassified<'a>>,
}

/// The string stops of the 64-byte blocks the framer classifies inside one record, kept while they
/// follow each other without a gap (a block read word by word after a backslash may end one byte
/// late; later blocks are then not kept, and the parser classifies those bytes itself).
#[derive(Default)]
struct StopSink {
    blocks: Vec<u64>,
    /// Where the first block starts, counted from the record's first byte.
    origin: usize,
    /// Where the next block must start to be kept (`usize::MAX` before the first one).
    next: usize,
    /// Set when the record did not sit in one read of the buffer: nothing is kept.
    dead: bool,
}

impl StopSink {
    fn reset(&mut self) {
        self.blocks.clear();
        self.next = usize::MAX;
        self.dead = false;
    }

    /// Keeps the stops of the block at `at` (an index into the chunk whose start is the record's first
    /// byte) if it follows the blocks kept so far.
    #[inline(always)]
    fn push(&mut self, at: usize, stops: u64) {
        if at != self.next {
            if !self.blocks.is_empty() || self.dead {
                return;
            }
            self.origin = at;
        }
        self.blocks.push(stops);
        self.next = at + 64;
    }

    fn kill(&mut self) {
        self.blocks.clear();
        self.next = usize::MAX;
        self.dead = true;
    }

    fn handed(&self) -> Option<Preclassified<'_>> {
        (!self.dead && !self.blocks.is_empty()).then_some(Preclassified {
            origin: self.origin,
            blocks: &self.blocks,
        })
    }
}

/// A framing problem with one stretch of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    /// Byte offset where the bad stretch starts.
    pub offset: u64,
    /// Its line.
    pub line: u64,
    /// What is wrong.
    pub reason: String,
    /// Whether reading cannot go on (I/O error, wrong encoding).
    pub fatal: bool,
}

#[derive(Default)]
struct ValueScan {
    depth: u32,
    in_str: bool,
    esc: bool,
    started: bool,
    scalar: bool,
    // wrapper-key detection at depth 1 of a top-level object
    key: Vec<u8>,
    key_done: bool,
    colon: bool,
    // line feeds in the current chunk before `nl_to`, counted by the block loop as it classifies
    // (so the record's bytes are not read again for line numbers)
    nl: u64,
    nl_to: usize,
}

impl ValueScan {
    /// Counts the line feeds of `chunk[self.nl_to..to]` (bytes the block loop did not classify).
    #[inline(always)]
    fn count_lines_to(&mut self, chunk: &[u8], to: usize) {
        if to > self.nl_to {
            let gap = &chunk[self.nl_to..to];
            self.nl += if gap.len() < 32 {
                gap.iter().filter(|&&b| b == b'\n').count() as u64
            } else {
                memchr::memchr_iter(b'\n', gap).count() as u64
            };
            self.nl_to = to;
        }
    }
}

/// [`JsonFramer::scan_value`]'s inner loop inside a record's containers (depth ≥ 1, no wrapper key to
/// watch): from `i`, hops between the bytes that change string or nesting state. Returns where it
/// stopped and whether the value closed (then just past its last byte). It stops early, leaving the
/// rest to the caller, at the end of `chunk`, after a backslash (`s.esc` set), and when the nesting
/// leaves the hot state (depth back to 1 while the caller watches for a wrapper is not reachable here:
/// the caller only enters with `depth > 1` in that case, and returns on the next structural byte).
fn inside_container(
    chunk: &[u8],
    mut i: usize,
    s: &mut ValueScan,
    sink: &mut StopSink,
) -> (usize, bool) {
    let floor = s.depth;
    loop {
        // blocks of 64 bytes without a backslash: string state from the quotes' prefix XOR, and only
        // the brackets outside strings visited
        while i + 64 <= chunk.len() {
            let m = crate::simd::frame_masks(&chunk[i..i + 64]);
            sink.push(i, m.stops());
            if m.rare != 0 && crate::simd::backslashes(&chunk[i..i + 64]) != 0 {
                break;
            }
            s.count_lines_to(chunk, i);
            let carry = if s.in_str { !0u64 } else { 0 };
            let inside = crate::simd::prefix_xor(m.quote) ^ carry;
            let mut brackets = m.bracket & !inside;
            while brackets != 0 {
                let k = brackets.trailing_zeros();
                brackets &= brackets - 1;
                if crate::simd::is_open(chunk[i + k as usize]) {
                    s.depth += 1;
                } else {
                    s.depth -= 1;
                    if s.depth == 0 || s.depth < floor {
                        s.in_str = false;
                        let upto = if k == 63 { !0 } else { (2u64 << k) - 1 };
                        if m.rare & upto != 0 {
                            let newline = crate::simd::newlines(&chunk[i..i + 64]);
                            s.nl += u64::from((newline & upto).count_ones());
                        }
                        s.nl_to = i + k as usize + 1;
                        return (i + k as usize + 1, s.depth == 0);
                    }
                }
            }
            if m.rare != 0 {
                s.nl += u64::from(crate::simd::newlines(&chunk[i..i + 64]).count_ones());
            }
            s.nl_to = i + 64;
            s.in_str = inside >> 63 == 1;
            i += 64;
        }
        if i + 64 > chunk.len() {
            break;
        }
        // a block with a backslash: word by word
        let end = i + 64;
        if let Some(stop) = words(chunk, &mut i, end, s, floor) {
            return stop;
        }
    }
    if let Some(stop) = words(chunk, &mut i, chunk.len(), s, floor) {
        return stop;
    }
    // the last few bytes
    loop {
        match crate::swar::structural(&chunk[i..]) {
            Some(k) => i += k,
            None => return (chunk.len(), false),
        }
        let b = chunk[i];
        i += 1;
        if s.in_str {
            match b {
                b'"' => s.in_str = false,
                b'\\' => {
                    s.esc = true;
                    return (i, false);
                }
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => s.in_str = true,
            b'{' | b'[' => s.depth += 1,
            b'}' | b']' => {
                s.depth -= 1;
                if s.depth == 0 {
                    return (i, true);
                }
                if s.depth < floor {
                    // back to a level the caller may need to watch (a wrapper key at depth 1)
                    return (i, false);
                }
            }
            _ => {}
        }
    }
}

/// [`inside_container`]'s word loop over `chunk[*i..end]` (it may stop one byte past `end`, after a
/// backslash): every structural byte of a word from one mask. `Some` when the scan must return.
fn words(
    chunk: &[u8],
    i: &mut usize,
    end: usize,
    s: &mut ValueScan,
    start_depth_floor: u32,
) -> Option<(usize, bool)> {
    while *i + 8 <= end {
        let base = *i;
        let mut mask = crate::swar::structural_mask(&chunk[base..base + 8]);
        while mask != 0 {
            let j = base + (mask.trailing_zeros() / 8) as usize;
            mask &= mask - 1;
            if j < *i {
                continue; // the byte after a backslash
            }
            *i = j + 1;
            let b = chunk[j];
            if s.in_str {
                match b {
                    b'"' => s.in_str = false,
                    b'\\' if *i < chunk.len() => *i += 1,
                    b'\\' => {
                        s.esc = true;
                        return Some((*i, false));
                    }
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => s.in_str = true,
                b'{' | b'[' => s.depth += 1,
                b'}' | b']' => {
                    s.depth -= 1;
                    if s.depth == 0 {
                        return Some((*i, true));
                    }
                    if s.depth < start_depth_floor {
                        return Some((*i, false));
                    }
                }
                _ => {}
            }
        }
        *i = (*i).max(base + 8);
    }
    None
}

enum Scan {
    Complete,
    Wrapper,
    Eof,
}

/// Frames JSON records out of a byte stream.
pub struct JsonFramer<R: Read> {
    input: R,
    buf: Vec<u8>,
    lo: usize,
    hi: usize,
    eof: bool,
    pos: u64,
    line: u64,
    state: FrameState,
    at_file_start: bool,
    rec: Vec<u8>,
    /// String stops found while framing the current record.
    stops: StopSink,
    /// The record's bytes while they all sit in `buf` (`buf[span.0..span.1]`): most records are
    /// handed out from the read buffer without being copied. Copied into `rec` before a refill.
    span: Option<(usize, usize)>,
    rec_offset: u64,
    rec_line: u64,
    overflow: bool,
    max_record: usize,
    done: bool,
    records: u64,
}

impl<R: Read> JsonFramer<R> {
    /// A framer over a whole file from its start.
    pub fn new(input: R) -> Self {
        Self::resume(input, Checkpoint::START)
    }

    /// A framer over `input` positioned at `checkpoint.offset`.
    pub fn resume(input: R, checkpoint: Checkpoint) -> Self {
        Self {
            input,
            buf: vec![0; BUFFER],
            lo: 0,
            hi: 0,
            eof: false,
            pos: checkpoint.offset,
            line: checkpoint.line.max(1),
            state: checkpoint.state,
            at_file_start: checkpoint.offset == 0,
            rec: Vec::new(),
            stops: StopSink::default(),
            span: None,
            rec_offset: 0,
            rec_line: 0,
            overflow: false,
            max_record: DEFAULT_MAX_RECORD,
            done: false,
            records: 0,
        }
    }

    /// Sets the longest record accepted, in bytes.
    pub fn with_max_record(mut self, bytes: usize) -> Self {
        self.max_record = bytes.max(16);
        self
    }

    /// The position after the last record handed out.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            offset: self.pos,
            line: self.line,
            state: self.state,
        }
    }

    /// The framing found so far.
    pub fn state(&self) -> FrameState {
        self.state
    }

    fn refill(&mut self) -> std::io::Result<()> {
        if self.lo < self.hi || self.eof {
            return Ok(());
        }
        if let Some((a, b)) = self.span.take() {
            self.rec.extend_from_slice(&self.buf[a..b]);
        }
        self.lo = 0;
        self.hi = 0;
        loop {
            match self.input.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.hi = n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn advance(&mut self, n: usize, keep: bool) {
        let slice = &self.buf[self.lo..self.lo + n];
        self.line += memchr::memchr_iter(b'\n', slice).count() as u64;
        self.advance_within_line(n, keep);
    }

    /// [`Self::advance`] over bytes whose line ends the caller has counted (or that hold none).
    fn advance_within_line(&mut self, n: usize, keep: bool) {
        if keep && !self.overflow {
            if self.record_len() + n > self.max_record {
                self.overflow = true;
            } else {
                match self.span {
                    None if self.rec.is_empty() => self.span = Some((self.lo, self.lo + n)),
                    Some((a, b)) if b == self.lo => self.span = Some((a, b + n)),
                    _ => {
                        if let Some((a, b)) = self.span.take() {
                            self.rec.extend_from_slice(&self.buf[a..b]);
                        }
                        self.rec.extend_from_slice(&self.buf[self.lo..self.lo + n]);
                    }
                }
            }
        }
        self.lo += n;
        self.pos += n as u64;
    }

    fn err(&self, reason: String, fatal: bool) -> FrameError {
        FrameError {
            offset: self.rec_offset,
            line: self.rec_line,
            reason,
            fatal,
        }
    }

    /// Skips white space (and, inside arrays, commas); returns the next byte without consuming it.
    fn skip_separators(&mut self, commas: bool) -> std::io::Result<Option<u8>> {
        loop {
            self.refill()?;
            if self.lo == self.hi {
                return Ok(None);
            }
            let chunk = &self.buf[self.lo..self.hi];
            let n = chunk
                .iter()
                .position(|&b| !(b.is_ascii_whitespace() || (commas && b == b',')));
            match n {
                Some(k) => {
                    let b = chunk[k];
                    self.advance(k, false);
                    return Ok(Some(b));
                }
                None => {
                    let len = chunk.len();
                    self.advance(len, false);
                }
            }
        }
    }

    fn record_len(&self) -> usize {
        self.rec.len() + self.span.map_or(0, |(a, b)| b - a)
    }

    /// The current record's bytes.
    fn record(&self) -> &[u8] {
        match self.span {
            Some((a, b)) => &self.buf[a..b],
            None => &self.rec,
        }
    }

    fn begin_record(&mut self) {
        self.span = None;
        self.rec.clear();
        self.overflow = false;
        self.rec_offset = self.pos;
        self.rec_line = self.line;
    }

    /// Checks the byte-order mark and obvious UTF-16 at the start of the file.
    fn check_encoding(&mut self) -> std::io::Result<Result<(), String>> {
        self.at_file_start = false;
        self.refill()?;
        let head = &self.buf[self.lo..self.hi];
        if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
            self.advance(3, false);
            return Ok(Ok(()));
        }
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Ok(Err(
                "the file is UTF-16 encoded; export or convert it to UTF-8".into(),
            ));
        }
        if head.len() >= 4 && head[..4].iter().filter(|&&b| b == 0).count() >= 2 {
            return Ok(Err(
                "the file has NUL bytes where JSON text is expected (UTF-16 or UTF-32 without a byte-order mark?); convert it to UTF-8"
                    .into(),
            ));
        }
        Ok(Ok(()))
    }

    /// Scans one JSON value starting at the current byte into the record buffer.
    fn scan_value(&mut self, detect_wrapper: bool) -> std::io::Result<Scan> {
        let mut s = ValueScan::default();
        self.stops.reset();
        let mut first_read = true;
        loop {
            self.refill()?;
            if self.lo == self.hi {
                return Ok(if s.scalar && s.started {
                    Scan::Complete
                } else {
                    Scan::Eof
                });
            }
            if !std::mem::replace(&mut first_read, false) {
                // the record goes on in another read: chunk indices no longer count from its start
                self.stops.kill();
            }
            let chunk = &self.buf[self.lo..self.hi];
            let mut i = 0;
            let mut outcome = None;
            s.nl = 0;
            s.nl_to = 0;
            while i < chunk.len() {
                if s.esc {
                    s.esc = false;
                    i += 1;
                    continue;
                }
                if s.in_str {
                    match crate::swar::string_stop(&chunk[i..]) {
                        None => {
                            if detect_wrapper && s.depth == 1 && !s.key_done {
                                push_key(&mut s.key, &chunk[i..]);
                            }
                            i = chunk.len();
                        }
                        Some(k) => {
                            if detect_wrapper && s.depth == 1 && !s.key_done {
                                push_key(&mut s.key, &chunk[i..i + k]);
                            }
                            i += k;
                            match chunk[i] {
                                b'"' => {
                                    s.in_str = false;
                                    if s.depth == 1 {
                                        s.key_done = true;
                                    }
                                    if s.depth == 0 {
                                        outcome = Some(Scan::Complete);
                                        i += 1;
                                        break;
                                    }
                                }
                                b'\\' => s.esc = true,
                                _ => {}
                            }
                            i += 1;
                        }
                    }
                    continue;
                }
                if s.started && !s.scalar && s.depth >= 1 && (!detect_wrapper || s.depth > 1) {
                    // Inside a container and not looking for a wrapper key: only quotes, backslashes
                    // and brackets change the state, so go from one to the next.
                    let (next, done) = inside_container(chunk, i, &mut s, &mut self.stops);
                    i = next;
                    if done {
                        outcome = Some(Scan::Complete);
                        break;
                    }
                    continue;
                }
                let b = chunk[i];
                if s.scalar {
                    if b.is_ascii_whitespace() || b == b',' || b == b']' || b == b'}' {
                        outcome = Some(Scan::Complete);
                        break;
                    }
                    i += 1;
                    continue;
                }
                match b {
                    b'"' => {
                        s.in_str = true;
                        s.started = true;
                        if s.depth == 1 {
                            s.key.clear();
                            s.key_done = false;
                            s.colon = false;
                        }
                    }
                    b'{' | b'[' => {
                        if detect_wrapper
                            && b == b'['
                            && s.depth == 1
                            && s.colon
                            && WRAPPER_KEYS.contains(&s.key.as_slice())
                        {
                            i += 1;
                            outcome = Some(Scan::Wrapper);
                            break;
                        }
                        s.depth += 1;
                        s.started = true;
                        s.colon = false;
                        s.key_done = false;
                    }
                    b'}' | b']' => {
                        s.depth = s.depth.saturating_sub(1);
                        s.colon = false;
                        if s.depth == 0 {
                            i += 1;
                            outcome = Some(Scan::Complete);
                            break;
                        }
                    }
                    b':' => {
                        if s.depth == 1 && s.key_done {
                            s.colon = true;
                        }
                        s.key_done = false;
                    }
                    b if b.is_ascii_whitespace() => {}
                    _ => {
                        if !s.started {
                            s.scalar = true;
                            s.started = true;
                        }
                        s.colon = false;
                        s.key_done = false;
                    }
                }
                i += 1;
            }
            s.count_lines_to(chunk, i);
            self.line += s.nl;
            self.advance_within_line(i, true);
            if let Some(outcome) = outcome {
                return Ok(outcome);
            }
        }
    }

    /// Reads one line (without its end) into the record buffer; false at end of input.
    fn scan_line(&mut self) -> std::io::Result<bool> {
        let mut any = false;
        loop {
            self.refill()?;
            if self.lo == self.hi {
                return Ok(any);
            }
            any = true;
            let chunk = &self.buf[self.lo..self.hi];
            match memchr(b'\n', chunk) {
                Some(k) => {
                    self.advance_within_line(k, true);
                    self.advance(1, false);
                    match &mut self.span {
                        Some((a, b)) if *b > *a && self.buf[*b - 1] == b'\r' => *b -= 1,
                        Some(_) => {}
                        None => {
                            if self.rec.last() == Some(&b'\r') {
                                self.rec.pop();
                            }
                        }
                    }
                    return Ok(true);
                }
                None => {
                    let len = chunk.len();
                    self.advance_within_line(len, true);
                }
            }
        }
    }

    /// Skips the rest of a wrapping object after its records array has ended.
    fn skip_wrapper_tail(&mut self) -> std::io::Result<()> {
        // The wrapper object is at depth 1 here; scan until it closes, discarding bytes.
        let mut depth = 1u32;
        let mut in_str = false;
        let mut esc = false;
        loop {
            self.refill()?;
            if self.lo == self.hi {
                return Ok(());
            }
            let chunk = &self.buf[self.lo..self.hi];
            let mut i = 0;
            let mut closed = false;
            while i < chunk.len() {
                let b = chunk[i];
                i += 1;
                if esc {
                    esc = false;
                } else if in_str {
                    match b {
                        b'\\' => esc = true,
                        b'"' => in_str = false,
                        _ => {}
                    }
                } else {
                    match b {
                        b'"' => in_str = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                closed = true;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            self.advance(i, false);
            if closed {
                return Ok(());
            }
        }
    }

    fn finish_record(&mut self) -> Option<Result<RawRecord<'_>, FrameError>> {
        self.records += 1;
        if self.overflow {
            return Some(Err(self.err(
                format!(
                    "record longer than the limit of {} bytes; skipped",
                    self.max_record
                ),
                false,
            )));
        }
        // the stops count from the record's first byte only when it was handed out from one read
        let pre = match (self.state, self.span) {
            (FrameState::Elements { .. }, Some(_)) => self.stops.handed(),
            _ => None,
        };
        Some(Ok(RawRecord {
            bytes: self.record(),
            offset: self.rec_offset,
            line: self.rec_line,
            pre,
        }))
    }

    /// The next record, a framing error for one stretch of input, or `None` at the end.
    pub fn next_record(&mut self) -> Option<Result<RawRecord<'_>, FrameError>> {
        match self.step() {
            Ok(Some(Step::Record)) => self.finish_record(),
            Ok(Some(Step::Error(e))) => Some(Err(e)),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(FrameError {
                    offset: self.pos,
                    line: self.line,
                    reason: format!("read error: {e}"),
                    fatal: true,
                }))
            }
        }
    }

    fn step(&mut self) -> std::io::Result<Option<Step>> {
        if self.done {
            return Ok(None);
        }
        if self.at_file_start
            && let Err(reason) = self.check_encoding()?
        {
            self.done = true;
            self.rec_offset = 0;
            self.rec_line = 1;
            return Ok(Some(Step::Error(self.err(reason, true))));
        }
        loop {
            match self.state {
                FrameState::Lines => {
                    self.begin_record();
                    if !self.scan_line()? {
                        self.done = true;
                        return Ok(None);
                    }
                    if self.record().iter().all(u8::is_ascii_whitespace) && !self.overflow {
                        continue;
                    }
                    return Ok(Some(Step::Record));
                }
                FrameState::Top => {
                    let Some(b) = self.skip_separators(false)? else {
                        self.done = true;
                        return Ok(None);
                    };
                    self.begin_record();
                    match b {
                        b'[' => {
                            self.advance(1, false);
                            self.state = FrameState::Elements { wrapper: false };
                        }
                        b'{' => {
                            let first = self.records == 0;
                            let start_line = self.line;
                            match self.scan_value(true)? {
                                Scan::Wrapper => {
                                    self.begin_record();
                                    self.state = FrameState::Elements { wrapper: true };
                                }
                                Scan::Complete => {
                                    // A first record on one line followed by a line end: NDJSON.
                                    if first
                                        && self.line == start_line
                                        && self.rest_of_line_blank()?
                                    {
                                        self.state = FrameState::Lines;
                                    }
                                    return Ok(Some(Step::Record));
                                }
                                Scan::Eof => {
                                    self.done = true;
                                    return Ok(Some(Step::Error(self.err(
                                        "truncated JSON: the file ends inside a record".into(),
                                        false,
                                    ))));
                                }
                            }
                        }
                        _ => {
                            // Not JSON here: reject the line and go on with the next.
                            self.scan_line()?;
                            let shown = String::from_utf8_lossy(
                                &self.record()[..self.record_len().min(60)],
                            )
                            .into_owned();
                            return Ok(Some(Step::Error(
                                self.err(format!("not a JSON object or array: {shown:?}"), false),
                            )));
                        }
                    }
                }
                FrameState::Elements { wrapper } => {
                    let Some(b) = self.skip_separators(true)? else {
                        self.done = true;
                        self.rec_offset = self.pos;
                        self.rec_line = self.line;
                        return Ok(Some(Step::Error(self.err(
                            "truncated JSON: the file ends inside an array of records".into(),
                            false,
                        ))));
                    };
                    if b == b']' {
                        self.advance(1, false);
                        if wrapper {
                            self.skip_wrapper_tail()?;
                        }
                        self.state = FrameState::Top;
                        continue;
                    }
                    self.begin_record();
                    match self.scan_value(false)? {
                        Scan::Complete | Scan::Wrapper => return Ok(Some(Step::Record)),
                        Scan::Eof => {
                            self.done = true;
                            return Ok(Some(Step::Error(self.err(
                                "truncated JSON: the file ends inside a record".into(),
                                false,
                            ))));
                        }
                    }
                }
            }
        }
    }

    /// Whether only white space remains before the next line end (consumes it).
    fn rest_of_line_blank(&mut self) -> std::io::Result<bool> {
        loop {
            self.refill()?;
            if self.lo == self.hi {
                return Ok(true);
            }
            let b = self.buf[self.lo];
            if b == b'\n' {
                self.advance(1, false);
                return Ok(true);
            }
            if b == b' ' || b == b'\t' || b == b'\r' {
                self.advance(1, false);
                continue;
            }
            return Ok(false);
        }
    }
}

enum Step {
    Record,
    Error(FrameError),
}

fn push_key(key: &mut Vec<u8>, bytes: &[u8]) {
    if key.len() + bytes.len() <= 16 {
        key.extend_from_slice(bytes);
    } else {
        key.clear();
        key.extend_from_slice(b"\xff-too-long");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn frame(input: &str) -> Vec<Result<(String, u64, u64), String>> {
        frame_from(input.as_bytes())
    }

    /// Every record (text, offset, line) or reject ("line: reason") the framer gives for `reader`.
    fn frame_from(reader: impl Read) -> Vec<Result<(String, u64, u64), String>> {
        let mut f = JsonFramer::new(reader);
        let mut out = Vec::new();
        while let Some(r) = f.next_record() {
            out.push(
                r.map(|r| {
                    (
                        String::from_utf8_lossy(r.bytes).into_owned(),
                        r.offset,
                        r.line,
                    )
                })
                .map_err(|e| format!("{}: {}", e.line, e.reason)),
            );
        }
        out
    }

    fn texts(input: &str) -> Vec<String> {
        frame(input)
            .into_iter()
            .map(|r| match r {
                Ok((t, _, _)) => t,
                Err(e) => format!("ERR {e}"),
            })
            .collect()
    }

    #[test]
    fn ndjson_array_wrapper_and_concatenated() {
        assert_eq!(
            texts("{\"a\":1}\n{\"b\":\"}\"}\n\n{\"c\":[1]}\n"),
            ["{\"a\":1}", "{\"b\":\"}\"}", "{\"c\":[1]}"]
        );
        assert_eq!(
            texts("[ {\"a\":1},\n {\"b\":2} ]"),
            ["{\"a\":1}", "{\"b\":2}"]
        );
        assert_eq!(
            texts(
                "{\"@odata.context\":\"x\",\"value\":[{\"id\":\"1\"},{\"id\":\"2\"}],\"@odata.nextLink\":\"y\"}\n{\"items\":[{\"id\":3}]}"
            ),
            ["{\"id\":\"1\"}", "{\"id\":\"2\"}", "{\"id\":3}"]
        );
        assert_eq!(
            texts("{\n \"a\": 1\n}\n{\n \"b\": 2\n}"),
            ["{\n \"a\": 1\n}", "{\n \"b\": 2\n}"]
        );
        // a nested "value" array inside a record is not a wrapper
        assert_eq!(
            texts("{\"x\":{\"value\":[1]}}\n"),
            ["{\"x\":{\"value\":[1]}}"]
        );
        // escaped quotes and a key that only looks like a wrapper key
        assert_eq!(texts("[{\"s\":\"a\\\"]\"}]"), ["{\"s\":\"a\\\"]\"}"]);
    }

    #[test]
    fn offsets_lines_and_resume() {
        let input = "[\n{\"a\":1},\n{\"b\":2},\n{\"c\":3}\n]\n";
        let got = frame(input);
        assert_eq!(got[1], Ok(("{\"b\":2}".into(), 11, 3)));
        let mut f = JsonFramer::new(input.as_bytes());
        f.next_record();
        let cp = f.checkpoint();
        let mut resumed = JsonFramer::resume(&input.as_bytes()[cp.offset as usize..], cp);
        let r = resumed.next_record().unwrap().unwrap();
        assert_eq!((r.bytes, r.offset, r.line), (&b"{\"b\":2}"[..], 11, 3));
    }

    #[test]
    fn truncation_overlong_and_encoding() {
        assert_eq!(
            texts("[{\"a\":1},{\"b\":"),
            [
                "{\"a\":1}",
                "ERR 1: truncated JSON: the file ends inside a record"
            ]
        );
        assert_eq!(
            texts("[{\"a\":1}"),
            [
                "{\"a\":1}",
                "ERR 1: truncated JSON: the file ends inside an array of records"
            ]
        );
        let mut f = JsonFramer::new(
            "{\"a\":1}\n{\"b\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n{\"c\":3}\n".as_bytes(),
        )
        .with_max_record(20);
        let mut out = Vec::new();
        while let Some(r) = f.next_record() {
            out.push(r.map(|r| r.line).map_err(|e| (e.line, e.reason)));
        }
        assert_eq!(out[0], Ok(1));
        assert!(matches!(&out[1], Err((2, reason)) if reason.contains("longer than the limit")));
        assert_eq!(out[2], Ok(3));
        let utf16 = [0xFFu8, 0xFE, b'[', 0];
        let mut f = JsonFramer::new(&utf16[..]);
        let e = f.next_record().unwrap().unwrap_err();
        assert!(e.fatal && e.reason.contains("UTF-16"));
        assert!(f.next_record().is_none());
        assert_eq!(texts("\u{feff}[{\"a\":1}]"), ["{\"a\":1}"]);
        assert_eq!(
            texts("hello\n{\"a\":1}\n")[0],
            "ERR 1: not a JSON object or array: \"hello\""
        );
    }

    /// A reader that hands out at most `n` bytes per read, so records straddle refills.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(self.1).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn records_straddling_reads_frame_as_whole_reads_do() {
        let inputs = [
            "{\"a\":1}\r\n{\"b\":\"x\\\"y\"}\r\n\r\n{\"c\":[1,2]}\n",
            "[{\"a\":\"]\"},\n {\"b\":{\"c\":[]}}]\n{\"value\":[{\"d\":4}]}",
            "{\n \"a\": 1\n}\n{\"b\":2}",
            // brackets, bars and escaped quotes and backslashes inside strings, deep nesting
            r#"[{"a":"x\\","b":"}]{[\"|"},{"c":{"d":[{"e":"\\\"]"}]},"f":[[[]]]}]"#,
            // a wrapper key nested deeper than the top is not the wrapper
            r#"{"meta":{"value":[1,2]},"value":[{"k":"v]"},{"k":{"value":["x"]}}],"next":"z"}"#,
        ];
        for input in inputs {
            let whole = frame(input);
            for n in (1..24).chain([64, 1024]) {
                let got = frame_from(Trickle(input.as_bytes(), n));
                assert_eq!(got, whole, "{input:?} read {n} bytes at a time");
            }
        }
        assert_eq!(
            texts(inputs[3]),
            [
                r#"{"a":"x\\","b":"}]{[\"|"}"#,
                r#"{"c":{"d":[{"e":"\\\"]"}]},"f":[[[]]]}"#
            ]
        );
        assert_eq!(
            texts(inputs[4]),
            [r#"{"k":"v]"}"#, r#"{"k":{"value":["x"]}}"#]
        );
        assert_eq!(
            texts("{\"a\":1}\r\n{\"b\":2}\r\n"),
            ["{\"a\":1}", "{\"b\":2}"]
        );
    }

    /// Random JSON values with long strings full of brackets, quotes and backslashes (so 64-byte blocks
    /// with and without backslashes, strings crossing blocks and reads), written by serde_json.
    fn random_values(seed: u64, n: usize) -> Vec<String> {
        let mut state = seed | 1;
        let mut next = move |m: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % m
        };
        let alphabet = [
            'a', 'b', '[', ']', '{', '}', '"', '\\', ' ', ',', ':', '|', 'é', '\n',
        ];
        fn value(
            next: &mut dyn FnMut(u64) -> u64,
            alphabet: &[char],
            depth: u32,
        ) -> serde_json::Value {
            match next(if depth > 3 { 3 } else { 6 }) {
                0 => serde_json::Value::from(next(1_000_000)),
                1 | 2 => {
                    let len = next(150) as usize;
                    let text: String = (0..len)
                        .map(|_| alphabet[next(alphabet.len() as u64) as usize])
                        .collect();
                    serde_json::Value::from(text)
                }
                3 | 4 => {
                    let mut o = serde_json::Map::new();
                    for k in 0..next(6) {
                        o.insert(format!("k{k}"), value(next, alphabet, depth + 1));
                    }
                    serde_json::Value::Object(o)
                }
                _ => serde_json::Value::Array(
                    (0..next(5))
                        .map(|_| value(next, alphabet, depth + 1))
                        .collect(),
                ),
            }
        }
        (0..n)
            .map(|_| {
                let mut o = serde_json::Map::new();
                for k in 0..1 + next(8) {
                    o.insert(format!("f{k}"), value(&mut next, &alphabet, 1));
                }
                serde_json::Value::Object(o).to_string()
            })
            .collect()
    }

    #[test]
    fn long_random_records_frame_exactly_at_any_read_size() {
        for seed in 1..40u64 {
            let values = random_values(seed * 0x9e37_79b9, 12);
            let pretty: Vec<String> = values
                .iter()
                .map(|v| {
                    let v: serde_json::Value = serde_json::from_str(v).unwrap();
                    serde_json::to_string_pretty(&v).unwrap()
                })
                .collect();
            for (input, want) in [
                (format!("[{}]", values.join(",")), &values),
                (format!("[\n  {}\n]\n", values.join(",\n  ")), &values),
                (
                    format!("{{\"value\":[{}],\"next\":\"x\"}}", values.join(",")),
                    &values,
                ),
                // multi-line records in an Azure Monitor wrapper: line feeds between the tokens of
                // every record, so line numbers depend on counting inside records
                (
                    format!("{{\"records\": [\n{}\n]}}\n", pretty.join(",\n")),
                    &pretty,
                ),
            ] {
                assert_eq!(&texts(&input), want, "seed {seed}");
                let whole = frame(&input);
                // every record's line is 1 + the line feeds before its first byte
                for r in &whole {
                    let (_, offset, line) = r.as_ref().unwrap();
                    let before = input.as_bytes()[..*offset as usize]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count() as u64;
                    assert_eq!(*line, before + 1, "seed {seed}, offset {offset}");
                }
                for n in [1, 7, 63, 64, 65, 100, 1000] {
                    let got = frame_from(Trickle(input.as_bytes(), n));
                    assert_eq!(got, whole, "seed {seed}, read {n} bytes at a time");
                }
            }
        }
    }

    /// The string stops the framer hands over, re-aligned and completed by the parser, equal the
    /// parser's own classification of the record's bytes, for every record at every read size: so
    /// the parser reads the same record the same way whichever way its stops were found.
    #[test]
    fn handed_over_string_stops_equal_the_parsers_own() {
        let mut inputs = Vec::new();
        for seed in 1..25u64 {
            let values = random_values(seed * 0x51_7cc1_b727, 10);
            inputs.push(format!("[{}]", values.join(",")));
            inputs.push(format!("[\n  {}\n]\n", values.join(",\n  ")));
            inputs.push(format!(
                "{{\"records\":[{}],\"next\":\"x\"}}",
                values.join(",")
            ));
        }
        // malformed records with raw control characters (tab, line feed, NUL, 0x1f) inside and
        // outside strings, long enough to span blocks; non-ASCII text
        let filler = "x".repeat(70);
        inputs.push(format!(
            "[{{\"a\":\"{filler}\t{filler}\u{0}\"}},{{\"b\":\"é{filler}\u{1f}\"\t,\n\"c\":\n1}},{{\"d\":\"{filler}\\\"{filler}\"}}]"
        ));
        let mut handed = 0;
        for input in &inputs {
            for n in [1 << 20, 1, 7, 63, 64, 65, 1000] {
                let mut f = JsonFramer::new(Trickle(input.as_bytes(), n));
                while let Some(r) = f.next_record() {
                    let Ok(r) = r else { continue };
                    handed += usize::from(r.pre.is_some());
                    let mut own = crate::simd::StringStops::default();
                    own.build(r.bytes);
                    let mut taken = crate::simd::StringStops::default();
                    taken.build_with(r.bytes, r.pre);
                    assert_eq!(
                        taken.words(),
                        own.words(),
                        "{:?} read {n} at a time",
                        String::from_utf8_lossy(r.bytes)
                    );
                }
            }
        }
        assert!(handed > 500, "only {handed} records came with stops");
    }
}
