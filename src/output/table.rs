//! CSV text for every table chokepoint writes, through `csv::Writer`: a field is quoted exactly
//! when it holds a comma, a quote, a newline or a carriage return (RFC 4180), so an id or a label
//! can never shift a column. Whole tables are rendered in memory ([`CsvText::finish`]); tables
//! too large for memory are rendered a line at a time ([`CsvText::line`]) and streamed.

use std::cell::RefCell;
use std::io;

/// Where the writer puts its bytes: taken out after each flush through a shared reference,
/// since `csv::Writer` only lends its inner writer immutably.
#[derive(Default)]
struct Sink(RefCell<Vec<u8>>);

impl io::Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.get_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// CSV records rendered to text with `\n` line ends. Records may differ in length (a header and
/// its rows always agree; the writer is reused across tables).
pub struct CsvText {
    writer: csv::Writer<Sink>,
}

impl Default for CsvText {
    fn default() -> Self {
        CsvText::new()
    }
}

impl CsvText {
    /// An empty table.
    pub fn new() -> CsvText {
        CsvText {
            writer: csv::WriterBuilder::new()
                .flexible(true)
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Sink::default()),
        }
    }

    /// Appends one record.
    pub fn record<I, T>(&mut self, fields: I)
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.writer
            .write_record(fields)
            .expect("a flexible CSV writer into memory cannot fail");
    }

    /// Renders one record alone, without its line end (for writers that stream line by line).
    pub fn line<I, T>(&mut self, fields: I) -> String
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.record(fields);
        let mut text = self.take();
        text.pop();
        text
    }

    /// Everything appended, as text.
    pub fn finish(mut self) -> String {
        self.take()
    }

    fn take(&mut self) -> String {
        self.writer
            .flush()
            .expect("flushing into memory cannot fail");
        let bytes = self.writer.get_ref().0.take();
        String::from_utf8(bytes).expect("records of UTF-8 fields are UTF-8")
    }
}
