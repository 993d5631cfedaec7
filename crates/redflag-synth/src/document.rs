//! Resumes as documents: the same text as a PDF (ISO 32000, written with `lopdf`: one standard Type 1
//! font in WinAnsiEncoding, one text line per `Tj`, a page every [`PDF_LINES_PER_PAGE`] lines) or as a
//! DOCX (ECMA-376 WordprocessingML: `[Content_Types].xml`, the package relationships and
//! `word/document.xml`, one paragraph per line, the contact line in a page header as résumé templates
//! often put it). Both are byte-for-byte deterministic: no dates, no random document ids.

use std::io::{Cursor, Write};

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, StringFormat, dictionary};
use unicode_normalization::UnicodeNormalization;

/// Which file a resume is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResumeFile {
    /// Plain UTF-8 text.
    Text,
    /// A PDF.
    Pdf,
    /// A Word document.
    Docx,
}

impl ResumeFile {
    /// The file extension.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            ResumeFile::Text => "txt",
            ResumeFile::Pdf => "pdf",
            ResumeFile::Docx => "docx",
        }
    }
}

/// Lines per PDF page (11 pt text, 13 pt leading on US Letter).
pub(crate) const PDF_LINES_PER_PAGE: usize = 52;

/// One character in WinAnsiEncoding (PDF 32000-1 annex D.2), or its letters without diacritics, or `?`.
fn win_ansi(c: char, out: &mut Vec<u8>) {
    let code = c as u32;
    if (0x20..0x7F).contains(&code) || (0xA0..=0xFF).contains(&code) {
        out.push(code as u8);
        return;
    }
    let special = match c {
        '€' => 0x80,
        '‚' => 0x82,
        '„' => 0x84,
        '…' => 0x85,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '™' => 0x99,
        '\t' => b' ',
        _ => 0,
    };
    if special != 0 {
        out.push(special);
        return;
    }
    // Letters outside the code page (Vietnamese, Polish, …): the base letter, as a standard font shows.
    let mut any = false;
    for d in std::iter::once(c).nfd() {
        let d = d as u32;
        if (0x20..0x7F).contains(&d) || (0xA0..=0xFF).contains(&d) {
            out.push(d as u8);
            any = true;
        }
    }
    if !any {
        let folded = match c {
            'Đ' => b'D',
            'đ' => b'd',
            'Ł' => b'L',
            'ł' => b'l',
            _ => b'?',
        };
        out.push(folded);
    }
}

/// The text as a PDF document.
pub(crate) fn pdf(text: &str) -> Result<Vec<u8>, String> {
    let mut doc = Document::with_version("1.4");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let lines: Vec<&str> = text.lines().collect();
    let mut kids = Vec::new();
    for chunk in lines.chunks(PDF_LINES_PER_PAGE) {
        let mut operations = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 11.into()]),
            Operation::new("TL", vec![13.into()]),
            Operation::new("Td", vec![54.into(), 750.into()]),
        ];
        for line in chunk {
            let mut bytes = Vec::with_capacity(line.len());
            for c in line.chars() {
                win_ansi(c, &mut bytes);
            }
            operations.push(Operation::new(
                "Tj",
                vec![Object::String(bytes, StringFormat::Literal)],
            ));
            operations.push(Operation::new("T*", vec![]));
        }
        operations.push(Operation::new("ET", vec![]));
        let content = Content { operations }
            .encode()
            .map_err(|e| format!("encoding a page: {e}"))?;
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        });
        kids.push(Object::from(page_id));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::with_capacity(4096);
    doc.save_to(&mut out)
        .map_err(|e| format!("writing the PDF: {e}"))?;
    Ok(out)
}

const CONTENT_TYPES: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#,
    r#"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#,
    r#"<Default Extension="xml" ContentType="application/xml"/>"#,
    r#"<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>"#,
    r#"<Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>"#,
    r#"</Types>"#
);

const PACKAGE_RELS: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    r#"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>"#,
    r#"</Relationships>"#
);

const DOCUMENT_RELS: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    r#"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/>"#,
    r#"</Relationships>"#
);

const W_NS: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if (c as u32) < 0x20 && c != '\t' => {}
            c => out.push(c),
        }
    }
}

fn paragraph(line: &str, out: &mut String) {
    out.push_str("<w:p>");
    if !line.is_empty() {
        out.push_str(r#"<w:r><w:t xml:space="preserve">"#);
        escape(line, out);
        out.push_str("</w:t></w:r>");
    }
    out.push_str("</w:p>");
}

/// The text as a DOCX document: line `header_line` (0-based; the contact line) goes to the page header,
/// the others to the body, one paragraph each.
pub(crate) fn docx(text: &str, header_line: Option<usize>) -> Result<Vec<u8>, String> {
    let mut body = String::with_capacity(text.len() * 2 + 512);
    let mut header = String::new();
    for (i, line) in text.lines().enumerate() {
        if Some(i) == header_line {
            paragraph(line, &mut header);
        } else {
            paragraph(line, &mut body);
        }
    }
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W_NS}><w:body>{body}<w:sectPr><w:headerReference w:type="default" r:id="rId1"/><w:pgSz w:w="12240" w:h="15840"/></w:sectPr></w:body></w:document>"#
    );
    let header = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:hdr {W_NS}>{header}</w:hdr>"#
    );
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(8192)));
    for (name, part) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", PACKAGE_RELS),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS),
        ("word/document.xml", document.as_str()),
        ("word/header1.xml", header.as_str()),
    ] {
        zip.start_file(name, options)
            .map_err(|e| format!("starting {name}: {e}"))?;
        zip.write_all(part.as_bytes())
            .map_err(|e| format!("writing {name}: {e}"))?;
    }
    let cursor = zip
        .finish()
        .map_err(|e| format!("finishing the DOCX: {e}"))?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_ansi_keeps_latin1_maps_punctuation_and_folds_the_rest() {
        let check = |text: &str, expect: &[u8]| {
            let mut out = Vec::new();
            for c in text.chars() {
                win_ansi(c, &mut out);
            }
            assert_eq!(out, expect, "{text}");
        };
        check("Ana", b"Ana");
        check("José", b"Jos\xe9");
        check("a — b • c", b"a \x97 b \x95 c");
        check("Nguyễn", b"Nguyen");
        check("Đặng", b"Dang");
        check("Łukasz", b"Lukasz");
        check("김", b"?");
    }

    #[test]
    fn documents_are_deterministic_and_well_formed() {
        let text =
            "Ana Lima\nana@example.com | +1 555 0100\n\nSUMMARY\nBuilds things & ships <them>.";
        let a = pdf(text).unwrap();
        assert_eq!(a, pdf(text).unwrap());
        assert!(a.starts_with(b"%PDF-1.4"));
        let d = docx(text, Some(1)).unwrap();
        assert_eq!(d, docx(text, Some(1)).unwrap());
        assert!(d.starts_with(b"PK\x03\x04"));
    }

    #[test]
    fn long_texts_span_pages() {
        let text: String = (0..PDF_LINES_PER_PAGE * 2 + 3)
            .map(|i| format!("line {i}\n"))
            .collect();
        let bytes = pdf(&text).unwrap();
        let doc = Document::load_mem(&bytes).unwrap();
        assert_eq!(doc.get_pages().len(), 3);
    }
}
