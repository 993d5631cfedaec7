//! Benchmark driver for `bench/linkage/run.py`.
//!
//! - `linkage_bench febrl IN.csv OUT.csv`: links a FEBRL file (columns rec_id, given_name, surname,
//!   street_number, address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id) and writes
//!   every pair with person probability >= 0.01 as `a,b,probability`.
//! - `linkage_bench synth N [CSV]`: generates N synthetic subjects with planted duplicates (and persona
//!   rings, families, a shared NAT), links them end to end, prints timings, quality against the planted
//!   truth and peak memory as one JSON line; writes the people as CSV for Splink when CSV is given.

#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The allocator the shipped `redflag` binary uses (crates/redflag/src/main.rs), so the figures are
/// those of the product; the library itself never sets one.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// As the shipped binary does: no transparent huge pages for this process (mimalloc asks for them,
/// and the kernel then zeroes every 2 MiB region in full on its first touch).
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if let Err(error) = nix::sys::prctl::set_thp_disable(true) {
        eprintln!("transparent huge pages stay on: {error}");
    }
}

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::time::Instant;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use redflag_linkage::{ExtraEvidence, LinkageConfig, Linker};
use redflag_model::{
    DeviceId, DeviceKind, Event, EventId, EventKind, Identifier, PayoutAccount, PersonName,
    PostalAddress, Provenance, Shipment, Subject, SubjectId, SubjectKind,
};

fn subject(id: &str, given: &str, family: &str, attrs: &[(&str, String)]) -> Subject {
    let name = PersonName::new(None, Some(given), Some(family))
        .or_else(|_| PersonName::new(Some("?"), None, None))
        .unwrap();
    Subject {
        id: SubjectId::new("b", id).unwrap(),
        kind: SubjectKind::Applicant,
        name,
        claimed: Default::default(),
        role: None,
        identifiers: Vec::new(),
        attributes: attrs
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        provenance: Provenance::at_line("bench", "synthetic", 0),
    }
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn rss_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU seconds the process has used (user and system, all threads), from /proc/self/stat: against
/// the wall clock between two progress lines it shows how much of a phase ran on one core.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may hold spaces) begin after the last ')'.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

fn started() -> Instant {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// Progress of a long run on stderr: seconds since start, resident and peak memory, phase.
fn progress(what: &str) {
    eprintln!(
        "[{:8.1}s cpu {:7.1}s rss {:7.0} MiB peak {:7.0} MiB] {what}",
        started().elapsed().as_secs_f64(),
        cpu_seconds(),
        rss_mib("VmRSS:"),
        rss_mib("VmHWM:")
    );
}

fn febrl(input: &str, output: &str) {
    let mut rdr = csv::Reader::from_path(input).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id, g, s, sn, a1, a2, sub, pc, st, dob, ssn) = (
        col("rec_id"),
        col("given_name"),
        col("surname"),
        col("street_number"),
        col("address_1"),
        col("address_2"),
        col("suburb"),
        col("postcode"),
        col("state"),
        col("date_of_birth"),
        col("soc_sec_id"),
    );
    let mut subjects = Vec::new();
    for row in rdr.records() {
        let row = row.unwrap();
        let address = format!("{} {} {}", &row[sn], &row[a1], &row[a2]);
        subjects.push(subject(
            &row[id],
            &row[g],
            &row[s],
            &[
                ("home_address", address),
                ("postcode", row[pc].to_string()),
                ("suburb", format!("{} {}", &row[sub], &row[st])),
                ("date_of_birth", row[dob].to_string()),
                ("id_number", row[ssn].to_string()),
            ],
        ));
    }
    let config = LinkageConfig {
        report_threshold: 0.01,
        ..Default::default()
    };
    let start = Instant::now();
    let result = Linker::new(config)
        .unwrap()
        .link(&subjects, &[], &ExtraEvidence::default());
    let secs = start.elapsed().as_secs_f64();
    let mut out = std::io::BufWriter::new(std::fs::File::create(output).unwrap());
    writeln!(out, "a,b,probability").unwrap();
    for p in &result.pairs {
        let a = p.a.as_str().trim_start_matches("b:");
        let b = p.b.as_str().trim_start_matches("b:");
        writeln!(out, "{a},{b},{}", p.probability).unwrap();
    }
    eprintln!(
        "{{\"records\": {}, \"seconds\": {secs:.3}, \"candidates\": {}, \"pairs\": {}, \"lambda\": {}}}",
        subjects.len(),
        result.stats.candidate_pairs,
        result.pairs.len(),
        result.stats.lambda
    );
}

const GIVEN: &[&str] = &[
    "james",
    "mary",
    "john",
    "patricia",
    "robert",
    "jennifer",
    "michael",
    "linda",
    "william",
    "elizabeth",
    "david",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "charles",
    "karen",
    "wei",
    "min",
    "jun",
    "yuki",
    "hiroshi",
    "ana",
    "maria",
    "jose",
    "luis",
    "carlos",
    "fatima",
    "ahmed",
    "mohammed",
    "aisha",
    "omar",
    "olga",
    "ivan",
    "dmitri",
    "anna",
    "sofia",
    "lucas",
    "emma",
    "noah",
    "olivia",
    "liam",
    "ava",
    "ethan",
    "mia",
    "mason",
    "chloe",
    "priya",
    "raj",
    "arjun",
    "deepa",
    "kwame",
    "amara",
    "chen",
    "li",
    "hana",
    "sven",
    "ingrid",
    "pierre",
    "claire",
    "marco",
    "giulia",
    "pablo",
    "lucia",
    "tomas",
    "eva",
    "jan",
    "petra",
];
const FAMILY: &[&str] = &[
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "gonzalez",
    "wilson",
    "anderson",
    "thomas",
    "taylor",
    "moore",
    "jackson",
    "martin",
    "lee",
    "perez",
    "thompson",
    "white",
    "harris",
    "sanchez",
    "clark",
    "ramirez",
    "lewis",
    "robinson",
    "walker",
    "young",
    "allen",
    "king",
    "wright",
    "scott",
    "torres",
    "nguyen",
    "hill",
    "flores",
    "green",
    "adams",
    "nelson",
    "baker",
    "hall",
    "rivera",
    "campbell",
    "mitchell",
    "carter",
    "roberts",
    "kim",
    "park",
    "chen",
    "wang",
    "li",
    "zhang",
    "liu",
    "singh",
    "kumar",
    "patel",
    "shah",
    "khan",
    "ali",
    "hussain",
    "ivanov",
    "petrov",
    "muller",
    "schmidt",
    "schneider",
    "fischer",
    "weber",
    "meyer",
    "wagner",
    "becker",
    "rossi",
    "russo",
    "ferrari",
    "esposito",
    "bianchi",
    "romano",
    "silva",
    "santos",
    "oliveira",
    "souza",
    "pereira",
    "costa",
    "dubois",
    "moreau",
    "laurent",
    "simon",
    "michel",
    "novak",
    "kowalski",
    "nowak",
    "wisniewski",
    "tanaka",
    "suzuki",
    "sato",
    "watanabe",
    "ito",
];
const STREETS: &[&str] = &[
    "main",
    "oak",
    "pine",
    "maple",
    "cedar",
    "elm",
    "view",
    "lake",
    "hill",
    "park",
    "washington",
    "lincoln",
    "church",
    "river",
    "spring",
    "north",
    "south",
    "market",
    "union",
    "mill",
    "forest",
    "meadow",
    "sunset",
    "highland",
    "valley",
    "bridge",
    "station",
    "harbour",
    "victoria",
    "king",
];

fn zipf(rng: &mut ChaCha8Rng, n: usize) -> usize {
    // P(k) ~ 1/(k+1): a few very common values and a long tail.
    let h: f64 = (1..=n).map(|k| 1.0 / k as f64).sum();
    let mut x = rng.r#gen::<f64>() * h;
    for k in 0..n {
        x -= 1.0 / (k + 1) as f64;
        if x <= 0.0 {
            return k;
        }
    }
    n - 1
}

fn typo(rng: &mut ChaCha8Rng, s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if c.len() < 3 {
        return s.to_string();
    }
    let i = rng.gen_range(1..c.len() - 1);
    match rng.gen_range(0..3) {
        0 => c[i] = (b'a' + rng.gen_range(0..26u8)) as char,
        1 => c.swap(i, i + 1),
        _ => {
            c.remove(i);
        }
    }
    c.into_iter().collect()
}

/// Strings kept once (names, streets): a person is a few numbers, so that ten million people take
/// hundreds of megabytes, not gigabytes, next to the linker.
#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32>,
    strings: Vec<String>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.strings.len() as u32;
        self.strings.push(s.to_string());
        self.ids.insert(s.to_string(), id);
        id
    }

    fn get(&self, id: u32) -> &str {
        &self.strings[id as usize]
    }
}

/// An email or phone: none, the one of the `i`-th generated person, or an "alternative" one made
/// when the `l`-th record was a duplicate (the text is derived from the number when written).
#[derive(Clone, Copy)]
enum Contact {
    None,
    Own(u32),
    Alt(u32),
}

#[derive(Clone, Copy)]
struct Person {
    given: u32,
    family: u32,
    /// Year, then the two day/month fields as written (a day/month swap swaps them).
    dob: (u16, u8, u8),
    street: u32,
    city: u32,
    email: Contact,
    phone: Contact,
}

struct World {
    text: Interner,
}

impl World {
    fn dob(&self, p: &Person) -> String {
        format!("{}-{:02}-{:02}", p.dob.0, p.dob.1, p.dob.2)
    }
    fn postcode(&self, p: &Person) -> String {
        format!("{:05}", p.city as usize * 7 % 99_991)
    }
    fn city(&self, p: &Person) -> String {
        format!("city{}", p.city)
    }
    fn email(&self, p: &Person) -> Option<String> {
        match p.email {
            Contact::None => None,
            Contact::Own(i) => Some(format!("user{i}@mail{}.example", i % 97)),
            Contact::Alt(l) => Some(format!("alt{l}@mail{}.example", l % 89)),
        }
    }
    fn phone(&self, p: &Person) -> Option<String> {
        match p.phone {
            Contact::None => None,
            Contact::Own(i) => Some(us_number(&OWN_AREA_CODES, i)),
            Contact::Alt(l) => Some(us_number(&ALT_AREA_CODES, l)),
        }
    }
}

/// US area codes in service (libphonenumber calls their numbers valid), in two disjoint sets so that
/// a changed number never equals another person's own.
const OWN_AREA_CODES: [u32; 40] = [
    201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219, 224, 225,
    228, 229, 231, 234, 239, 240, 248, 251, 252, 253, 254, 256, 260, 262, 267, 269, 270, 272, 276,
    281, 301,
];
const ALT_AREA_CODES: [u32; 40] = [
    302, 303, 304, 305, 307, 308, 309, 310, 312, 313, 314, 315, 316, 317, 318, 319, 320, 321, 323,
    325, 330, 331, 334, 336, 337, 339, 347, 351, 352, 360, 361, 385, 386, 401, 402, 404, 405, 406,
    407, 408,
];

/// The `k`-th number of a set of area codes: a valid North American number (the exchange begins
/// with 2-9 and is not N11, as the plan requires), distinct for every `k` below 40 × 720 × 10 000 (288 million).
/// Earlier versions wrote the exchange as the first digits of `k` zero-padded, which the plan forbids:
/// 99.6 % of the world's phone numbers were invalid, and redflag discarded them.
fn us_number(areas: &[u32; 40], k: u32) -> String {
    let area = areas[k as usize % 40];
    let rest = k / 40;
    // 720 exchanges: 200-999 without those ending in 1 (which drops the N11 service codes).
    let slot = rest % 720;
    let exchange = 200 + slot / 9 * 10 + [0, 2, 3, 4, 5, 6, 7, 8, 9][(slot % 9) as usize];
    let line = rest / 720 % 10_000;
    format!("+1{area}{exchange}{line:04}")
}

/// A made-up name for the name pools of worlds over a million people: three syllables.
fn made_up_name(k: usize, family: bool) -> String {
    const S: [&str; 30] = [
        "ka", "lo", "mi", "ra", "ne", "to", "sa", "vi", "de", "mar", "el", "an", "ul", "is", "or",
        "be", "fi", "go", "ha", "ju", "ke", "li", "mo", "nu", "pe", "ri", "su", "ta", "wo", "ya",
    ];
    let k = k + if family { 7919 } else { 0 };
    format!("{}{}{}", S[k % 30], S[(k / 30) % 30], S[(k / 900 + k) % 30])
}

/// Zipf draws over a pool: P(k) ~ 1/(k+1). Pools of the original size draw exactly as before (the
/// published figures up to 1 M stay reproducible); bigger pools use a cumulative table.
struct Zipf {
    n: usize,
    cum: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, original: usize) -> Self {
        let mut cum = Vec::new();
        if n > original {
            let mut acc = 0.0;
            for k in 0..n {
                acc += 1.0 / (k + 1) as f64;
                cum.push(acc);
            }
        }
        Self { n, cum }
    }

    fn draw(&self, rng: &mut ChaCha8Rng) -> usize {
        if self.cum.is_empty() {
            return zipf(rng, self.n);
        }
        let x = rng.r#gen::<f64>() * self.cum[self.n - 1];
        self.cum.partition_point(|c| *c < x).min(self.n - 1)
    }
}

fn synth(n: usize, csv_path: Option<&str>) {
    // LINKAGE_BENCH_SEED picks another world of the same kind (threshold fitting: one seed to train,
    // another to hold out); LINKAGE_BENCH_PAIRS=FILE writes every candidate pair with person probability
    // >= 0.01 or >= 1 bit of shared-identifier evidence, and FILE.truth the true pairs (duplicates of one
    // person, members of one persona ring).
    let seed: u64 = std::env::var("LINKAGE_BENCH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(42);
    let pairs_path = std::env::var("LINKAGE_BENCH_PAIRS").ok();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    started();
    let t0 = Instant::now();
    let n_dups = n / 10;
    let n_base = n - n_dups;
    let mut people: Vec<Person> = Vec::with_capacity(n);
    let mut truth: Vec<(usize, usize)> = Vec::new();
    let mut text = Interner::default();
    // One town per 300 people (at least 3 000), so that a bigger world is a bigger country, not
    // denser towns. Likewise the name pools grow with the square root of the population over a
    // million (a country of 10 M has about 3.2 times the distinct names of one of 1 M: Heaps' law), the
    // real names staying the most common; up to 1 M they are the 70 given and 100 family names.
    let n_cities = (n / 300).max(3000);
    let grow = (n as f64 / 1e6).sqrt().max(1.0);
    let pool = |base: &[&str], family: bool, text: &mut Interner| -> Vec<u32> {
        let size = (base.len() as f64 * grow).round() as usize;
        (0..size)
            .map(|k| match base.get(k) {
                Some(s) => text.id(s),
                None => text.id(&made_up_name(k, family)),
            })
            .collect()
    };
    let given_pool = pool(GIVEN, false, &mut text);
    let family_pool = pool(FAMILY, true, &mut text);
    let given_zipf = Zipf::new(given_pool.len(), GIVEN.len());
    let family_zipf = Zipf::new(family_pool.len(), FAMILY.len());
    let street_of = |rng: &mut ChaCha8Rng, text: &mut Interner, kind: Option<&str>| -> u32 {
        let number: i32 = rng.gen_range(1..3000);
        let name = STREETS[rng.gen_range(0..STREETS.len())];
        let kind = match kind {
            Some(k) => k,
            None => ["street", "road", "avenue", "lane"][rng.gen_range(0..4)],
        };
        text.id(&format!("{number} {name} {kind}"))
    };
    // Drawn as i32, as the first version did (the draws must stay the same).
    let dob_of = |rng: &mut ChaCha8Rng| -> (u16, u8, u8) {
        let y: i32 = rng.gen_range(1950..2005);
        let m: i32 = rng.gen_range(1..13);
        let d: i32 = rng.gen_range(1..29);
        (y as u16, m as u8, d as u8)
    };
    // Families: 2% of base records live with 1-3 relatives at the same address.
    let mut i: u32 = 0;
    while people.len() < n_base {
        let city_id = rng.gen_range(0..n_cities) as u32;
        let family = family_pool[family_zipf.draw(&mut rng)];
        let given = given_pool[given_zipf.draw(&mut rng)];
        let dob = dob_of(&mut rng);
        let street = street_of(&mut rng, &mut text, None);
        let email = if rng.gen_bool(0.7) {
            Contact::Own(i)
        } else {
            Contact::None
        };
        let phone = if rng.gen_bool(0.6) {
            Contact::Own(i)
        } else {
            Contact::None
        };
        let p = Person {
            given,
            family,
            dob,
            street,
            city: city_id,
            email,
            phone,
        };
        people.push(p);
        i += 1;
        if rng.gen_bool(0.02) {
            for _ in 0..rng.gen_range(1..4) {
                if people.len() >= n_base {
                    break;
                }
                let mut rel = p;
                rel.given = given_pool[rng.gen_range(0..given_pool.len())];
                rel.dob = dob_of(&mut rng);
                rel.email = if rng.gen_bool(0.7) {
                    Contact::Own(i)
                } else {
                    Contact::None
                };
                people.push(rel);
                i += 1;
            }
        }
    }
    // Duplicates with typos and missing fields.
    for _ in 0..n_dups {
        let b = rng.gen_range(0..n_base);
        let mut d = people[b];
        let edits = rng.gen_range(1..4);
        for _ in 0..edits {
            match rng.gen_range(0..7) {
                0 => d.given = text.id(&typo(&mut rng, text.get(d.given))),
                1 => d.family = text.id(&typo(&mut rng, text.get(d.family))),
                2 => d.street = text.id(&typo(&mut rng, text.get(d.street))),
                // A lost or changed email or phone.
                3 => {
                    d.email = if rng.gen_bool(0.5) {
                        Contact::Alt(people.len() as u32)
                    } else {
                        Contact::None
                    }
                }
                4 => {
                    d.phone = if rng.gen_bool(0.5) {
                        Contact::Alt(people.len() as u32)
                    } else {
                        Contact::None
                    }
                }
                // Moved house.
                5 => {
                    d.city = rng.gen_range(0..n_cities) as u32;
                    d.street = street_of(&mut rng, &mut text, Some("road"));
                }
                _ => d.dob = (d.dob.0, d.dob.2, d.dob.1),
            }
        }
        truth.push((b, people.len()));
        people.push(d);
    }
    let world = World { text };
    // Truth closure: duplicates of one base are duplicates of each other.
    let mut by_base: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (b, d) in &truth {
        by_base.entry(*b).or_insert_with(|| vec![*b]).push(*d);
    }
    let mut true_pairs: HashSet<(usize, usize)> = HashSet::new();
    for members in by_base.values() {
        for x in 0..members.len() {
            for y in x + 1..members.len() {
                let (a, b) = (members[x].min(members[y]), members[x].max(members[y]));
                true_pairs.insert((a, b));
            }
        }
    }
    // Persona rings: 0.1% of subjects get a shared payout account, device and shipping address with
    // 2-5 others.
    let mut events = Vec::new();
    let ring_count = n / 1000 / 4;
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng);
    let mut ring_role: HashMap<usize, (usize, usize)> = HashMap::new();
    let mut cursor = 0;
    for r in 0..ring_count {
        let size = rng.gen_range(3..7);
        for m in 0..size {
            let k = order[cursor];
            cursor += 1;
            ring_role.insert(k, (r, m));
            events.push(Event {
                id: EventId::derive("bench", &[&k.to_string()]),
                time: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
                utc_offset_seconds: 0,
                kind: EventKind::Shipment(Shipment {
                    address: PostalAddress::new(&format!("{r} Farm Road, Dover"), None).unwrap(),
                    item: None,
                    serial: None,
                }),
                identifiers: Vec::new(),
                subject: Some(SubjectId::new("b", &k.to_string()).unwrap()),
                provenance: Provenance::at_line("bench", "shipments", 0),
            });
        }
    }
    drop(order);
    // Phone numbers libphonenumber rejects (none in this world; counted so that a regression shows).
    let invalid_phones = std::sync::atomic::AtomicUsize::new(0);
    // Subjects are made chunk by chunk while linking (10 M subjects would not fit in memory at once).
    let to_subject = |k: usize, p: &Person| -> Subject {
        let w = &world;
        let mut s = subject(
            &k.to_string(),
            w.text.get(p.given),
            w.text.get(p.family),
            &[
                ("date_of_birth", w.dob(p)),
                (
                    "home_address",
                    format!("{} {}", w.text.get(p.street), w.city(p)),
                ),
                ("postcode", w.postcode(p)),
                ("city", w.city(p)),
            ],
        );
        if let Some(e) = &w.email(p)
            && let Ok(id) = Identifier::email(e)
        {
            s.identifiers.push(id);
        }
        if let Some(ph) = &w.phone(p) {
            match Identifier::phone(ph, None) {
                Ok(id) => s.identifiers.push(id),
                Err(_) => {
                    invalid_phones.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
        if let Some(&(r, m)) = ring_role.get(&k) {
            if m % 2 == 0 {
                s.identifiers.push(Identifier::PayoutAccount(
                    PayoutAccount::new("payoneer", &format!("77{r:08}")).unwrap(),
                ));
            }
            if m % 2 == 1 || m == 0 {
                s.identifiers.push(Identifier::Device(
                    DeviceId::new(DeviceKind::Serial, &format!("SN{r:08}")).unwrap(),
                ));
            }
        }
        // Placeholder values: 2% of subjects give "N/A" ids.
        if k < n / 50 {
            s.attributes.insert("id_number".into(), "N/A".into());
        }
        s
    };
    let gen_secs = t0.elapsed().as_secs_f64();
    if let Some(path) = csv_path {
        let mut w = csv::Writer::from_path(path).unwrap();
        w.write_record([
            "unique_id",
            "given_name",
            "surname",
            "dob",
            "address",
            "postcode",
            "city",
            "email",
            "phone",
        ])
        .unwrap();
        for (k, p) in people.iter().enumerate() {
            let t = &world.text;
            w.write_record([
                k.to_string(),
                t.get(p.given).to_string(),
                t.get(p.family).to_string(),
                world.dob(p),
                format!("{} {}", t.get(p.street), world.city(p)),
                world.postcode(p),
                world.city(p),
                world.email(p).unwrap_or_default(),
                world.phone(p).unwrap_or_default(),
            ])
            .unwrap();
        }
        w.flush().unwrap();
        let mut t = csv::Writer::from_path(format!("{path}.truth")).unwrap();
        for (a, b) in &true_pairs {
            t.write_record([a.to_string(), b.to_string()]).unwrap();
        }
        t.flush().unwrap();
    }
    let rss_before = peak_rss_mib();
    let t1 = Instant::now();
    const CHUNK: usize = 100_000;
    // Making the subjects (validated identifiers: parsing a phone number takes about 10 µs) is the
    // caller's work, not the linker's: it is made in parallel (same subjects, same order) and timed
    // apart (`subjects_seconds`), so the "records built" phase minus it is the linker's own.
    let subject_time = std::cell::Cell::new(0.0f64);
    let chunks = (0..n).step_by(CHUNK).map(|start| {
        let t = Instant::now();
        let chunk = (start..(start + CHUNK).min(n))
            .into_par_iter()
            .map(|k| to_subject(k, &people[k]))
            .collect::<Vec<Subject>>();
        subject_time.set(subject_time.get() + t.elapsed().as_secs_f64());
        chunk
    });
    let config = if pairs_path.is_some() {
        LinkageConfig {
            report_threshold: 0.01,
            operator_threshold: 1.0,
            ..LinkageConfig::default()
        }
    } else {
        // LINKAGE_BENCH_REPORT=P returns only pairs with probability >= P besides the linked ones
        // (quality is measured on the linked pairs, whatever P; a high P spares the near misses'
        // waterfalls, 2 KB each, at 10 M subjects).
        let report = std::env::var("LINKAGE_BENCH_REPORT")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(LinkageConfig::default().report_threshold);
        LinkageConfig {
            report_threshold: report,
            ..LinkageConfig::default()
        }
    };
    progress(&format!("{n} people generated, linking"));
    // LINKAGE_BENCH_SPARSE=1: no facts for subjects in no ring and no reported pair.
    let mut linker = Linker::new(config).unwrap().with_progress(progress);
    if std::env::var("LINKAGE_BENCH_SPARSE").is_ok_and(|v| v == "1") {
        linker = linker.with_sparse_facts();
    }
    let result = linker.link_chunks(chunks, &events, &ExtraEvidence::default());
    progress("linked");
    let link_secs = t1.elapsed().as_secs_f64();
    let subjects_secs = subject_time.get();
    if let Some(path) = &pairs_path {
        let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        writeln!(w, "a,b,probability,operator_bits").unwrap();
        for p in &result.pairs {
            let (a, b) = (&p.a.as_str()[2..], &p.b.as_str()[2..]);
            writeln!(w, "{a},{b},{},{}", p.probability, p.operator_bits).unwrap();
        }
        let mut t =
            std::io::BufWriter::new(std::fs::File::create(format!("{path}.truth")).unwrap());
        writeln!(t, "a,b,kind").unwrap();
        for (a, b) in &true_pairs {
            writeln!(t, "{a},{b},person").unwrap();
        }
        let mut rings: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (k, (r, _)) in &ring_role {
            rings.entry(*r).or_default().push(*k);
        }
        for members in rings.values() {
            for x in 0..members.len() {
                for y in x + 1..members.len() {
                    let (a, b) = (members[x].min(members[y]), members[x].max(members[y]));
                    writeln!(t, "{a},{b},ring").unwrap();
                }
            }
        }
    }
    // LINKAGE_BENCH_DUMP=FILE writes the whole result (pairs with their waterfalls, rings, facts,
    // excluded values, notes, stats) in debug form, to check that a change leaves results unchanged.
    if let Ok(path) = std::env::var("LINKAGE_BENCH_DUMP") {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for p in &result.pairs {
            writeln!(w, "{p:?}").unwrap();
        }
        for r in &result.rings {
            writeln!(w, "{r:?}").unwrap();
        }
        for f in &result.facts {
            writeln!(w, "{f:?}").unwrap();
        }
        for e in &result.excluded_values {
            writeln!(w, "{e:?}").unwrap();
        }
        writeln!(w, "{:?}\n{:?}", result.notes, result.stats).unwrap();
    }
    let id_of = |s: &SubjectId| -> usize { s.as_str()[2..].parse().unwrap() };
    let predicted: HashSet<(usize, usize)> = result
        .pairs
        .iter()
        // The pairs redflag links (person or operator threshold): its own decision.
        .filter(|p| p.linked)
        .map(|p| {
            let (a, b) = (id_of(&p.a), id_of(&p.b));
            (a.min(b), a.max(b))
        })
        .collect();
    let tp = predicted.intersection(&true_pairs).count() as f64;
    let precision = tp / predicted.len().max(1) as f64;
    let recall = tp / true_pairs.len().max(1) as f64;
    let f1 = 2.0 * precision * recall / (precision + recall).max(1e-12);
    let ring_found = result
        .rings
        .iter()
        .filter(|r| {
            r.links
                .iter()
                .any(|l| l.kind == "payout" || l.kind == "device")
        })
        .count();
    println!(
        "{{\"subjects\": {n}, \"generate_seconds\": {gen_secs:.2}, \"link_seconds\": {link_secs:.2}, \"subjects_seconds\": {subjects_secs:.2}, \"candidates\": {}, \"pairs_reported\": {}, \"facts\": {}, \"rings\": {}, \"persona_rings_planted\": {ring_count}, \"persona_rings_found\": {ring_found}, \"excluded_values\": {}, \"invalid_phones\": {}, \"precision\": {precision:.4}, \"recall\": {recall:.4}, \"f1\": {f1:.4}, \"rss_before_link_mib\": {rss_before:.0}, \"peak_rss_mib\": {:.0}, \"threads\": {}}}",
        result.stats.candidate_pairs,
        result.pairs.len(),
        result.facts.len(),
        result.rings.len(),
        result.excluded_values.len(),
        invalid_phones.load(std::sync::atomic::Ordering::Relaxed),
        peak_rss_mib(),
        rayon::current_num_threads()
    );
}

fn main() {
    no_transparent_huge_pages();
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("febrl") => febrl(&args[2], &args[3]),
        Some("synth") => synth(args[2].parse().expect("N"), args.get(3).map(String::as_str)),
        _ => eprintln!("usage: linkage_bench febrl IN OUT | synth N [CSV]"),
    }
}
