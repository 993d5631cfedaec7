//! Light section parsing of resume text: contact lines, employers and titles with their dates, schools,
//! skills, and the years of experience the text claims.

use std::sync::OnceLock;

use regex::Regex;

/// A month-precision date (`year * 12 + month - 1`).
pub type MonthIndex = i32;

/// One dated entry of the experience section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The employer as written.
    pub employer: Option<String>,
    /// The title as written.
    pub title: Option<String>,
    /// Start (month index).
    pub start: MonthIndex,
    /// End (month index); "present" is the reference month given to [`parse`].
    pub end: MonthIndex,
    /// The line it was read from.
    pub line: String,
}

/// What was read from a resume.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedResume {
    /// Lines with an email address, a phone number or a profile URL.
    pub contact_lines: Vec<String>,
    /// Dated positions from the experience section (or anywhere, when there are no headings).
    pub positions: Vec<Position>,
    /// Schools, colleges and universities named.
    pub schools: Vec<String>,
    /// Skills listed under a skills heading, lower-cased.
    pub skills: Vec<String>,
    /// The largest "N years of experience" the text claims.
    pub claimed_years: Option<u32>,
}

impl ParsedResume {
    /// Employers named in dated positions, in order, without repeats.
    pub fn employers(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in self.positions.iter().filter_map(|p| p.employer.clone()) {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&e)) {
                out.push(e);
            }
        }
        out
    }

    /// Years covered by the dated positions, overlaps counted once (whole years, rounded down).
    pub fn dated_years(&self) -> Option<u32> {
        if self.positions.is_empty() {
            return None;
        }
        let mut spans: Vec<(MonthIndex, MonthIndex)> = self
            .positions
            .iter()
            .map(|p| (p.start, p.end.max(p.start)))
            .collect();
        spans.sort_unstable();
        let mut months = 0;
        let mut current: Option<(MonthIndex, MonthIndex)> = None;
        for (s, e) in spans {
            current = match current {
                Some((cs, ce)) if s <= ce + 1 => Some((cs, ce.max(e))),
                Some((cs, ce)) => {
                    months += ce - cs + 1;
                    Some((s, e))
                }
                None => Some((s, e)),
            };
        }
        if let Some((cs, ce)) = current {
            months += ce - cs + 1;
        }
        Some((months / 12) as u32)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Experience,
    Education,
    Skills,
    Other,
}

fn heading(line: &str) -> Option<Section> {
    let l = line
        .trim()
        .trim_end_matches(':')
        .trim_matches(|c: char| !c.is_alphanumeric() && c != ' ')
        .to_lowercase();
    if l.is_empty() || l.split_whitespace().count() > 4 {
        return None;
    }
    let has = |words: &[&str]| {
        words
            .iter()
            .any(|w| l == *w || l.ends_with(&format!(" {w}")))
    };
    if has(&[
        "experience",
        "employment",
        "employment history",
        "work history",
        "career",
    ]) {
        Some(Section::Experience)
    } else if has(&["education", "academic background", "qualifications"]) {
        Some(Section::Education)
    } else if has(&[
        "skills",
        "technologies",
        "tech stack",
        "competencies",
        "expertise",
    ]) {
        Some(Section::Skills)
    } else if has(&[
        "summary",
        "profile",
        "about",
        "about me",
        "references",
        "projects",
        "certifications",
        "languages",
        "interests",
        "contact",
        "objective",
        "awards",
        "publications",
    ]) {
        Some(Section::Other)
    } else {
        None
    }
}

const MONTHS: &str = r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";

fn date_range_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let date = format!(r"(?:(?:({MONTHS})\.?\s+|(\d{{1,2}})/)?((?:19|20)\d{{2}}))");
        let end = format!(r"(?:(?:({MONTHS})\.?\s+|(\d{{1,2}})/)?((?:19|20)\d{{2}})|(present|current|now|today|date))");
        Regex::new(&format!(r"(?i)\b{date}\s*(?:-|–|—|to|until)\s*{end}\b"))
        .expect("constant pattern, covered by tests")
    })
}

fn claim_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)\b(?:over|more than)?\s*(\d{1,2})\s*\+?\s*(?:years?|yrs?)\b(?:\s+of)?(?:\s+[\w-]+){0,4}?\s+experience")
        .expect("constant pattern, covered by tests")
    })
}

fn contact_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)[\w.+-]+@[\w-]+\.[\w.-]+|linkedin\.com/|github\.com/|https?://")
            .expect("constant pattern, covered by tests")
    })
}

/// A run of at least 9 digits written with phone punctuation, that is not a date range.
fn has_phone(line: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"\+?\(?\d[\d\s().-]{7,}\d").expect("constant pattern, covered by tests")
    });
    re.find_iter(line).any(|m| {
        m.as_str().chars().filter(char::is_ascii_digit).count() >= 9
            && !date_range_re().is_match(m.as_str())
    })
}

fn month_number(name: &str) -> i32 {
    let n = name.to_ascii_lowercase();
    [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    .iter()
    .position(|m| n.starts_with(m))
    .map(|i| i as i32 + 1)
    .unwrap_or(1)
}

const TITLE_WORDS: &[&str] = &[
    "engineer",
    "developer",
    "programmer",
    "manager",
    "lead",
    "architect",
    "analyst",
    "consultant",
    "designer",
    "scientist",
    "intern",
    "director",
    "administrator",
    "specialist",
    "devops",
    "sre",
    "cto",
    "ceo",
    "vp",
    "head",
    "officer",
    "tester",
    "qa",
    "freelancer",
    "contractor",
    "founder",
];

const SCHOOL_WORDS: &[&str] = &[
    "university",
    "college",
    "institute",
    "school",
    "academy",
    "polytechnic",
    "universidad",
    "université",
];

/// Parses resume text. `present` is the month index "present"/"current" stands for (the caller's
/// reference date, so results do not depend on the clock).
pub fn parse(text: &str, present: MonthIndex) -> ParsedResume {
    let mut out = ParsedResume::default();
    let mut section = Section::None;
    let mut last_plain: Option<String> = None;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(s) = heading(line) {
            section = s;
            last_plain = None;
            continue;
        }
        if (contact_re().is_match(line) || has_phone(line)) && line.len() < 200 {
            out.contact_lines.push(line.to_string());
        }
        for c in claim_re().captures_iter(line) {
            if let Some(n) = c.get(1).and_then(|m| m.as_str().parse::<u32>().ok()) {
                out.claimed_years = Some(out.claimed_years.map_or(n, |o| o.max(n)));
            }
        }
        let lower = line.to_lowercase();
        if SCHOOL_WORDS.iter().any(|w| lower.contains(w)) && line.len() < 160 {
            let name = strip_dates(line);
            if !name.is_empty() && !out.schools.contains(&name) {
                out.schools.push(name);
            }
            if section == Section::Education {
                continue;
            }
        }
        match section {
            Section::Skills => {
                for skill in line.split([',', ';', '|', '•', '·', '/']) {
                    let s = skill
                        .trim()
                        .trim_start_matches(['-', '*'])
                        .trim()
                        .to_lowercase();
                    if !s.is_empty() && s.len() <= 40 && !out.skills.contains(&s) {
                        out.skills.push(s);
                    }
                }
            }
            Section::Experience | Section::None => {
                if let Some(p) = position(line, last_plain.as_deref(), present) {
                    out.positions.push(p);
                    last_plain = None;
                } else if line.len() < 100 {
                    last_plain = Some(line.to_string());
                }
            }
            Section::Education | Section::Other => {}
        }
    }
    out
}

fn strip_dates(line: &str) -> String {
    let stripped = date_range_re().replace_all(line, "");
    clean_part(&stripped)
}

fn clean_part(s: &str) -> String {
    s.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, ',' | '|' | '-' | '–' | '—' | '(' | ')' | ':' | '•' | '*')
    })
    .to_string()
}

fn position(line: &str, previous: Option<&str>, present: MonthIndex) -> Option<Position> {
    let caps = date_range_re().captures(line)?;
    let month = |name: Option<regex::Match>, num: Option<regex::Match>| {
        name.map(|m| month_number(m.as_str())).or_else(|| {
            num.and_then(|m| m.as_str().parse::<i32>().ok())
                .filter(|m| (1..=12).contains(m))
        })
    };
    let start_year: i32 = caps.get(3)?.as_str().parse().ok()?;
    let start = start_year * 12 + month(caps.get(1), caps.get(2)).unwrap_or(1) - 1;
    let end = if caps.get(7).is_some() {
        present
    } else {
        let year: i32 = caps.get(6)?.as_str().parse().ok()?;
        year * 12 + month(caps.get(4), caps.get(5)).unwrap_or(12) - 1
    };
    if end < start || end > present + 12 {
        return None;
    }
    let rest = strip_dates(line);
    let mut title = None;
    let mut employer = None;
    let parts: Vec<String> = rest
        .split(['|', ',', '–', '—', '(', ')'])
        .flat_map(|p| p.split(" at ").map(str::to_string).collect::<Vec<_>>())
        .flat_map(|p| p.split(" - ").map(str::to_string).collect::<Vec<_>>())
        .map(|p| clean_part(&p))
        .filter(|p| !p.is_empty())
        .collect();
    for part in parts {
        let lower = part.to_lowercase();
        let is_title = lower
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| TITLE_WORDS.contains(&w));
        if is_title && title.is_none() {
            title = Some(part);
        } else if employer.is_none() {
            employer = Some(part);
        }
    }
    // "Acme Corp" on one line and "Engineer, 2019 - 2021" on the next.
    if employer.is_none() {
        employer = previous
            .map(clean_part)
            .filter(|p| !p.is_empty() && heading(p).is_none());
    }
    Some(Position {
        employer,
        title,
        start,
        end,
        line: line.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRESENT: MonthIndex = 2025 * 12 + 5;

    const RESUME: &str = "Daniel Moreau\n\
        daniel.moreau@example.com | +1 415 555 0142 | linkedin.com/in/dmoreau\n\
        \n\
        SUMMARY\n\
        Full-stack engineer with 10+ years of professional experience in fintech.\n\
        \n\
        EXPERIENCE\n\
        Senior Software Engineer | Brightwave Labs | Mar 2021 - Present\n\
        Built payment APIs in Rust and Go.\n\
        Northwind Traders\n\
        Software Engineer, 2018 - 2021\n\
        Developer at Contoso Ltd (06/2016 – 12/2017)\n\
        \n\
        EDUCATION\n\
        University of Lisbon, BSc Computer Science, 2012 - 2016\n\
        \n\
        SKILLS\n\
        Rust, Go, TypeScript, PostgreSQL; Kubernetes | AWS\n";

    #[test]
    fn sections_are_read() {
        let r = parse(RESUME, PRESENT);
        assert_eq!(r.contact_lines.len(), 1);
        assert_eq!(
            r.employers(),
            vec!["Brightwave Labs", "Northwind Traders", "Contoso Ltd"]
        );
        let titles: Vec<_> = r.positions.iter().filter_map(|p| p.title.clone()).collect();
        assert_eq!(
            titles,
            vec!["Senior Software Engineer", "Software Engineer", "Developer"]
        );
        assert_eq!(
            r.schools,
            vec!["University of Lisbon, BSc Computer Science"]
        );
        assert_eq!(
            r.skills,
            vec![
                "rust",
                "go",
                "typescript",
                "postgresql",
                "kubernetes",
                "aws"
            ]
        );
        assert_eq!(r.claimed_years, Some(10));
        // Jun 2016 .. Jun 2025 with a gap Jan–Dec? no: 2016-06..2017-12, 2018-01..2021-12 overlapping
        // 2021-03..2025-06: continuous 2016-06..2025-06 = 109 months = 9 years.
        assert_eq!(r.dated_years(), Some(9));
    }

    #[test]
    fn claims_and_dates_in_other_shapes() {
        let check = |text: &str, claimed: Option<u32>, dated: Option<u32>| {
            let r = parse(text, PRESENT);
            assert_eq!(
                (r.claimed_years, r.dated_years()),
                (claimed, dated),
                "{text}"
            );
        };
        check("Over 8 years experience building web apps.", Some(8), None);
        check("5 yrs of hands-on experience", Some(5), None);
        check("I have 3 years.", None, None);
        check("Engineer, Acme, 2020 to 2022", None, Some(3));
        check("Engineer, Acme, 2024 - 2019", None, None); // reversed range refused
        check("", None, None);
    }
}
