//! Measures index build time, resident memory, single-query latency (p50, p99) and throughput on the
//! labelled query set over the vendored lists (OFAC SDN + UN), batch throughput on 1 and 2 threads, and
//! the same over a deterministic synthetic list of N entities (names from many cultures, aliases, dates
//! of birth, nationalities, documents, emails, wallets).
//!
//! `cargo run -p redflag-watchlist --release --example latency -- bench/watchlist/eval_set.jsonl [synthetic_n]`
//!
//! Latency is wall time per query. On a shared machine a query may be pre-empted, so each query is also
//! run three times and its fastest run kept ("best of 3"): the cost of the algorithm without the noise.

use std::time::{Duration, Instant};

use redflag_watchlist::{
    BatchScreener, Document, Entity, EntityKind, EntityName, Index, ListInfo, ListSnapshot,
    NameStrength, PartialDate, Query, ScreenOptions, WalletEntry, builtin_snapshots,
};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn run(index: &Index, queries: &[String], label: &str) {
    let opts = ScreenOptions::default();
    // warm-up
    for q in queries.iter().take(200) {
        let _ = index.screen(&Query::name(q.clone()), &opts);
    }
    let prepared: Vec<Query> = queries.iter().map(|q| Query::name(q.clone())).collect();
    let mut times = Vec::with_capacity(queries.len());
    let mut best = vec![Duration::MAX; queries.len()];
    let start = Instant::now();
    let mut hits = 0usize;
    for (i, query) in prepared.iter().enumerate() {
        let t = Instant::now();
        hits += index.screen(query, &opts).map(|m| m.len()).unwrap_or(0);
        let d = t.elapsed();
        times.push(d);
        best[i] = d;
    }
    let total = start.elapsed();
    for _ in 0..2 {
        for (i, query) in prepared.iter().enumerate() {
            let t = Instant::now();
            let _ = index.screen(query, &opts);
            best[i] = best[i].min(t.elapsed());
        }
    }
    let mut slowest: Vec<(Duration, &String)> = best.iter().copied().zip(queries).collect();
    slowest.sort_by_key(|b| std::cmp::Reverse(b.0));
    for (d, q) in slowest.iter().take(3) {
        println!("  slowest (best of 3): {q:?} {:.0} µs", us(*d));
    }
    times.sort();
    best.sort();
    println!(
        "{label}: {} queries; one pass: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs, {:.0} queries/s on one core ({} matches); best of 3: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        queries.len(),
        us(percentile(&times, 0.5)),
        us(percentile(&times, 0.99)),
        times.last().map_or(0.0, |d| us(*d)),
        queries.len() as f64 / total.as_secs_f64(),
        hits,
        us(percentile(&best, 0.5)),
        us(percentile(&best, 0.99)),
        best.last().map_or(0.0, |d| us(*d)),
    );
    for threads in [1, 2] {
        let Ok(screener) = BatchScreener::new(index, opts.clone(), threads) else {
            continue;
        };
        let t = Instant::now();
        let mut n = 0usize;
        for chunk in prepared.chunks(4096) {
            n += screener.screen(chunk).len();
        }
        println!(
            "{label}: batch on {threads} thread(s): {:.0} queries/s",
            n as f64 / t.elapsed().as_secs_f64()
        );
    }
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Name pools by culture: (family names, given names or given-name syllables, joined given names?,
/// family name first?, nationalities). Common, public name statistics; no listed person's full name.
const CULTURES: &[(&str, &str, bool, bool, &str)] = &[
    (
        "Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Han Oh Seo Shin Kwon Hwang Ahn Song Jeon Hong Ri Pak Choe Jong",
        "min seo ji hoon yeon woo jun hyun su jin young sung ho eun kyung hee chol il nam hyok myong kwang song",
        true,
        true,
        "KR KP",
    ),
    (
        "Wang Li Zhang Liu Chen Yang Zhao Huang Zhou Wu Xu Sun Hu Zhu Gao Lin He Guo Ma Luo Liang Song Zheng Xie Han Tang",
        "wei fang xiu ying min jing li qiang lei jun yang yong jie tao ming chao hua ping gang hong yan xin hai bo",
        true,
        true,
        "CN TW HK SG",
    ),
    (
        "Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada Sasaki Yamaguchi Matsumoto",
        "Haruto Sota Yuto Hinata Riku Yui Himari Mei Akari Sakura Kenji Takeshi Hiroshi Yuki Naoko Aiko",
        false,
        false,
        "JP",
    ),
    (
        "Nguyen Tran Le Pham Hoang Huynh Phan Vu Vo Dang Bui Do Ho Ngo Duong Ly",
        "Van Thi Minh Duc Anh Hoa Lan Huong Thanh Tuan Hung Linh Trang Quang Hai Phuong",
        false,
        true,
        "VN",
    ),
    (
        "Ivanov Smirnov Kuznetsov Popov Vasiliev Petrov Sokolov Mikhailov Novikov Fedorov Morozov Volkov Alekseev Lebedev",
        "Aleksandr Sergei Dmitry Andrei Alexei Maxim Ivan Mikhail Olga Elena Tatiana Natalia Irina Svetlana Yuri Vladimir",
        false,
        false,
        "RU BY KZ UA",
    ),
    (
        "Al-Hassan Al-Rashid Haddad Khalil Mansour Nasser Saleh Hamdan Qureshi Abbas Farouk Aziz Karim Darwish Suleiman",
        "Mohammed Ahmed Ali Omar Hassan Hussein Yusuf Ibrahim Khalid Fatima Aisha Mariam Layla Zainab Tariq Samir",
        false,
        false,
        "SA AE IQ SY LB JO EG YE",
    ),
    (
        "Garcia Rodriguez Martinez Hernandez Lopez Gonzalez Perez Sanchez Ramirez Torres Flores Rivera Gomez Diaz Morales",
        "Jose Juan Carlos Luis Miguel Jorge Pedro Maria Ana Carmen Sofia Lucia Isabel Alejandro Diego Fernando",
        false,
        false,
        "MX ES CO AR VE PE CU",
    ),
    (
        "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin Jackson White Harris",
        "James John Robert Michael William David Richard Joseph Mary Patricia Jennifer Linda Elizabeth Susan Sarah Emily",
        false,
        false,
        "US GB CA AU",
    ),
    (
        "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti DeLuca Costa",
        "Giuseppe Giovanni Antonio Mario Luigi Francesco Marco Alessandro Giulia Francesca Chiara Sara Paola Lucia",
        false,
        false,
        "IT",
    ),
    (
        "Sharma Verma Gupta Singh Kumar Patel Shah Mehta Reddy Nair Iyer Rao Joshi Chopra Malhotra Das",
        "Aarav Vivaan Aditya Arjun Rohan Rahul Amit Priya Ananya Diya Pooja Neha Sunita Ravi Sanjay Vikram",
        false,
        false,
        "IN PK BD",
    ),
    (
        "Yilmaz Kaya Demir Sahin Celik Yildiz Yildirim Ozturk Aydin Ozdemir Arslan Dogan Kilic Aslan",
        "Mehmet Mustafa Ahmet Ali Huseyin Hasan Ibrahim Ayse Fatma Emine Hatice Zeynep Elif Murat Emre",
        false,
        false,
        "TR",
    ),
    (
        "Okafor Adeyemi Okonkwo Mensah Owusu Boateng Kamau Otieno Mwangi Diallo Traore Coulibaly Ndiaye Banda",
        "Chinedu Emeka Ngozi Adaeze Kwame Kofi Ama Akosua Wanjiru Baraka Amadou Fatoumata Moussa Aminata",
        false,
        false,
        "NG GH KE SN ML",
    ),
    (
        "Muller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Dubois Durand Lefebvre Moreau Laurent",
        "Lukas Leon Finn Jonas Anna Lena Marie Sophie Jean Pierre Michel Philippe Camille Chloe Louis Hugo",
        false,
        false,
        "DE FR CH AT BE",
    ),
];

/// A culture's pools: family names, given names, syllabic given names, family name first, nationalities.
type Culture<'a> = (Vec<&'a str>, Vec<&'a str>, bool, bool, Vec<&'a str>);

const ORG_PLACES: &str = "Pyongyang Dandong Shenyang Yanbian Vladivostok Dubai Singapore Hong-Kong Shanghai Minsk Tehran Caracas Istanbul Lagos Jakarta Bangkok Moscow Beijing Almaty Tashkent Kuala-Lumpur Manila";
const ORG_WORDS: &str = "Korea General Trading Technology Information Network Shipping Maritime Energy Mining Investment Development International Global Silverstar Golden Star Ocean Pacific Eastern United Sunrise Dragon Phoenix Pioneer Unity Alliance Progress Digital Software Systems Logistics Petroleum Metals Resources Industrial Commercial Holdings Export Import Cooperation Kumgang Chilbosan Koryo Paektu Taedong Haegumgang Ryugyong";
const ORG_FORMS: &str =
    "Co.,Ltd. LLC Limited JSC OOO Corporation Company FZE Pte.Ltd. GmbH S.A. Inc.";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn name(full: String, strength: NameStrength) -> EntityName {
    EntityName {
        full,
        strength,
        alias_type: None,
        script: None,
        parts: Vec::new(),
    }
}

/// A synthetic list of `n` entities: 85 % people from 13 cultures (family name first or last as the
/// culture writes it, Korean and Chinese given names of two joined or hyphenated syllables), 15 %
/// organisations; 0-3 aliases each (order swapped, hyphenated, initials, weak a.k.a.), dates of birth,
/// nationalities, passport numbers, some emails, phones and wallets. Deterministic.
fn synthetic(n: usize) -> ListSnapshot {
    let cultures: Vec<Culture<'_>> = CULTURES
        .iter()
        .map(|(f, g, syll, family_first, nat)| {
            (
                f.split_whitespace().collect(),
                g.split_whitespace().collect(),
                *syll,
                *family_first,
                nat.split_whitespace().collect(),
            )
        })
        .collect();
    let places: Vec<&str> = ORG_PLACES.split_whitespace().collect();
    let words: Vec<&str> = ORG_WORDS.split_whitespace().collect();
    let forms: Vec<&str> = ORG_FORMS.split_whitespace().collect();
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut entities = Vec::with_capacity(n);
    for i in 0..n {
        let mut e;
        if r.chance(85) {
            e = Entity::new(format!("S{i}"), EntityKind::Person);
            let (family, given, syllables, family_first, nats) = &cultures[r.below(cultures.len())];
            let f = r.pick(family);
            let g = if *syllables {
                let (a, b) = (r.pick(given), r.pick(given));
                let cap = |s: &str| {
                    let mut c = s.chars();
                    c.next()
                        .map(|h| h.to_uppercase().chain(c).collect::<String>())
                        .unwrap_or_default()
                };
                match r.below(3) {
                    0 => format!("{}-{b}", cap(a)),
                    1 => format!("{}{b}", cap(a)),
                    _ => format!("{} {}", cap(a), cap(b)),
                }
            } else if r.chance(30) {
                format!("{} {}", r.pick(given), r.pick(given))
            } else {
                r.pick(given).to_string()
            };
            let primary = if *family_first {
                format!("{} {g}", f.to_uppercase())
            } else {
                format!("{g} {}", f.to_uppercase())
            };
            e.names.push(name(primary, NameStrength::Primary));
            for _ in 0..r.below(4) {
                let alias = match r.below(4) {
                    0 if *family_first => format!("{g} {f}"),
                    0 => format!("{f} {g}"),
                    1 => format!("{f}, {g}"),
                    2 => format!("{}. {f}", &g[..1]),
                    _ => format!("{} {f}", r.pick(given)),
                };
                let strength = if r.chance(20) {
                    NameStrength::Weak
                } else {
                    NameStrength::Strong
                };
                e.names.push(name(alias, strength));
            }
            let year = 1940 + r.below(62) as i32;
            let date = if r.chance(70) {
                PartialDate::from_parts(year, 1 + r.below(12) as u32, 1 + r.below(28) as u32)
            } else {
                PartialDate::year(year)
            };
            e.birth_dates.extend(date);
            e.nationalities.push(r.pick(nats).to_string());
            if r.chance(40) {
                e.documents.push(Document {
                    kind: "Passport".into(),
                    number: format!(
                        "{}{:08}",
                        (b'A' + r.below(26) as u8) as char,
                        r.below(1 << 26)
                    ),
                    country: Some(r.pick(nats).to_string()),
                });
            }
        } else {
            e = Entity::new(format!("S{i}"), EntityKind::Organization);
            let mut w = vec![r.pick(&places).to_string()];
            for _ in 0..1 + r.below(3) {
                w.push(r.pick(&words).to_string());
            }
            let base = w.join(" ");
            e.names.push(name(
                format!("{base} {}", r.pick(&forms)),
                NameStrength::Primary,
            ));
            if r.chance(50) {
                e.names.push(name(base.clone(), NameStrength::Strong));
            }
            if r.chance(30) {
                let acronym: String = w.iter().filter_map(|x| x.chars().next()).collect();
                e.names.push(name(acronym, NameStrength::Weak));
            }
            let c = r.below(cultures.len());
            e.countries.push(r.pick(&cultures[c].4).to_string());
            if r.chance(30) {
                e.websites
                    .push(format!("www.s{i}-{}.com", w[1].to_lowercase()));
            }
        }
        if r.chance(10) {
            e.emails.push(format!("s{i}.{}@example.org", r.below(1000)));
        }
        if r.chance(5) {
            e.phones.push(format!(
                "+{} {}",
                1 + r.below(998),
                1_000_000 + r.below(9_000_000)
            ));
        }
        if r.chance(3) {
            e.wallets.push(WalletEntry::new(
                &format!(
                    "0x{:016x}{:016x}{:08x}",
                    r.next(),
                    r.next(),
                    r.next() as u32
                ),
                Some("ETH"),
            ));
        }
        entities.push(e);
    }
    ListSnapshot {
        info: ListInfo {
            id: "synthetic".into(),
            name: "synthetic".into(),
            version: "1".into(),
            published: None,
            source_url: String::new(),
            format: "synthetic".into(),
            entity_count: n,
            sha256: String::new(),
        },
        entities,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .ok_or("usage: latency EVAL_SET.jsonl [synthetic_n]")?;
    let queries: Vec<String> = std::fs::read_to_string(path)?
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("query").and_then(|q| q.as_str()).map(str::to_string))
        .collect();
    if let Some(n) = args.get(2).and_then(|n| n.parse::<usize>().ok()) {
        let rss0 = rss_kb();
        let t = Instant::now();
        let syn = synthetic(n);
        let names: usize = syn.entities.iter().map(|e| e.names.len()).sum();
        let gen_time = t.elapsed();
        let rss_list = rss_kb();
        // Queries: the labelled set, plus names of the synthetic list as written and with one letter
        // replaced.
        // (1,500 of each on a list of 100,000 entities or more, to keep the run short.)
        let mut r = Rng(7);
        let each = if n >= 100_000 { 1500 } else { queries.len() };
        let mut syn_queries: Vec<String> = queries
            .iter()
            .step_by((queries.len() / each).max(1))
            .take(each)
            .cloned()
            .collect();
        let mut expected = Vec::with_capacity(each);
        for _ in 0..each {
            let e = &syn.entities[r.below(syn.entities.len())];
            // what a screening record would also carry: the date of birth and the country
            let dob = e.birth_dates.first().copied();
            let country = e.nationalities.first().or(e.countries.first()).cloned();
            let mut q = e.names[r.below(e.names.len())].full.clone();
            let listed = q.clone();
            if r.chance(50) && q.len() > 4 {
                let i = 1 + r.below(q.len() - 2);
                if q.is_char_boundary(i) && q.is_char_boundary(i + 1) {
                    q.replace_range(i..i + 1, "e");
                }
            }
            expected.push((syn_queries.len(), e.id.clone(), dob, country, q == listed));
            syn_queries.push(q);
        }
        let t = Instant::now();
        let index = Index::build(vec![syn]);
        println!(
            "synthetic list of {n} entities ({names} names): generated in {:.1} s (+{} MB); index build {:.1} s; resident memory of list + index +{} MB",
            gen_time.as_secs_f64(),
            (rss_list.saturating_sub(rss0)) / 1024,
            t.elapsed().as_secs_f64(),
            (rss_kb().saturating_sub(rss0)) / 1024
        );
        // Recall on the synthetic queries: the entity a query was drawn from, found and at rank 1
        // (ties included: many synthetic people share a name).
        // (top 1,000: a synthetic full name is shared by dozens of entities)
        let wide = ScreenOptions {
            top_k: 1000,
            ..ScreenOptions::default()
        };
        let (mut found, mut first) = (0, 0);
        let (mut found_k, mut first_k) = (0, 0);
        // as listed: (queries, found with date and country, strictly first)
        let mut exact = (0, 0, 0);
        let pct = |x: usize| 100.0 * x as f64 / expected.len().max(1) as f64;
        for (qi, id, dob, country, as_listed) in &expected {
            let hits = index
                .screen(&Query::name(syn_queries[*qi].clone()), &wide)
                .unwrap_or_default();
            let top = hits.first().map(|m| m.score);
            found += usize::from(hits.iter().any(|m| m.entity_id == *id));
            first += usize::from(
                hits.iter()
                    .any(|m| m.entity_id == *id && Some(m.score) == top),
            );
            // With the date of birth and country, at the default top 10: the source must rank first
            // among its namesakes.
            let mut q = Query::name(syn_queries[*qi].clone());
            q.dob = *dob;
            q.country = country.clone();
            let hits = index
                .screen(&q, &ScreenOptions::default())
                .unwrap_or_default();
            let (f, one) = (
                usize::from(hits.iter().any(|m| m.entity_id == *id)),
                usize::from(hits.first().is_some_and(|m| m.entity_id == *id)),
            );
            found_k += f;
            first_k += one;
            if *as_listed {
                exact = (exact.0 + 1, exact.1 + f, exact.2 + one);
            }
        }
        println!(
            "synthetic queries ({} names as listed or with one letter replaced): name only: source entity found (top 1,000): {found} ({:.1} %), at rank 1 with ties: {first} ({:.1} %); name + date of birth + country (top 10): found {found_k} ({:.1} %), strictly first {first_k} ({:.1} %)",
            expected.len(),
            pct(found),
            pct(first),
            pct(found_k),
            pct(first_k)
        );
        println!(
            "  of which {} as listed (no letter replaced): found {} ({:.1} %), strictly first {} ({:.1} %)",
            exact.0,
            exact.1,
            100.0 * exact.1 as f64 / exact.0.max(1) as f64,
            exact.2,
            100.0 * exact.2 as f64 / exact.0.max(1) as f64
        );
        run(&index, &syn_queries, "synthetic list");
        return Ok(());
    }
    let rss0 = rss_kb();
    let t = Instant::now();
    let snapshots = builtin_snapshots()?;
    let load = t.elapsed();
    let t = Instant::now();
    let index = Index::build(snapshots);
    let build = t.elapsed();
    println!(
        "lists {}: {} entities; load (decompress + parse compact) {:.0} ms, index build {:.0} ms, resident memory +{} MB",
        index.versions().join(", "),
        index.entity_count(),
        load.as_secs_f64() * 1e3,
        build.as_secs_f64() * 1e3,
        (rss_kb().saturating_sub(rss0)) / 1024
    );
    run(&index, &queries, "official lists");
    let wallet = Query::default().with_wallet("0x4f47bc496083c727c5fbe3ce9cdf2b0f6496270c");
    let t = Instant::now();
    for _ in 0..10_000 {
        let _ = index.screen(&wallet, &ScreenOptions::default());
    }
    println!(
        "exact wallet query: {:.2} µs each",
        t.elapsed().as_secs_f64() * 1e6 / 10_000.0
    );
    Ok(())
}
