//! Batch screening: many queries on a thread pool, results in input order.

use rayon::prelude::*;

use crate::error::QueryError;
use crate::index::{Index, Match, Query, ScreenOptions};

/// Screens batches of queries in parallel on its own thread pool. Results come back in the order of the
/// queries, so output is deterministic whatever the number of threads; memory is bounded by the batch the
/// caller hands over (stream a file in chunks of a few thousand rows).
pub struct BatchScreener<'a> {
    index: &'a Index,
    options: ScreenOptions,
    pool: rayon::ThreadPool,
}

impl std::fmt::Debug for BatchScreener<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchScreener")
            .field("options", &self.options)
            .field("threads", &self.pool.current_num_threads())
            .finish()
    }
}

impl<'a> BatchScreener<'a> {
    /// A screener over `index` with `threads` worker threads (`0`: one per core).
    pub fn new(
        index: &'a Index,
        options: ScreenOptions,
        threads: usize,
    ) -> Result<Self, rayon::ThreadPoolBuildError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("screen-{i}"))
            .build()?;
        Ok(Self {
            index,
            options,
            pool,
        })
    }

    /// Number of worker threads.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Screens `queries`; the i-th result answers the i-th query.
    pub fn screen(&self, queries: &[Query]) -> Vec<Result<Vec<Match>, QueryError>> {
        let (index, options) = (self.index, &self.options);
        self.pool.install(|| {
            queries
                .par_iter()
                .with_min_len(16)
                .map(|q| index.screen(q, options))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin_snapshots;

    #[test]
    fn parallel_results_are_in_input_order_and_equal_to_single_queries() {
        let index = Index::build(builtin_snapshots().unwrap());
        let names = [
            "Sim Hyon Sop",
            "Maria Rossi",
            "",
            "Kim Sang Man",
            "Yanbian Silverstar",
            "Park Ji-hoon",
        ];
        let queries: Vec<Query> = names
            .iter()
            .cycle()
            .take(120)
            .map(|n| Query::name(*n))
            .collect();
        for threads in [1, 2, 3] {
            let screener = BatchScreener::new(&index, ScreenOptions::default(), threads).unwrap();
            assert_eq!(screener.threads(), threads);
            let got = screener.screen(&queries);
            assert_eq!(got.len(), queries.len());
            for (q, r) in queries.iter().zip(&got) {
                let single = index.screen(q, &ScreenOptions::default());
                match (r, single) {
                    (Ok(a), Ok(b)) => assert_eq!(*a, b, "{q:?}"),
                    (Err(_), Err(_)) => assert!(q.name.is_empty()),
                    (a, b) => panic!("{q:?}: {a:?} vs {b:?}"),
                }
            }
        }
    }
}
