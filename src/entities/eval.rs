//! Exact-span precision/recall/F1 (the CoNLL-2003 measure).

use crate::entities::conll::{Label, Span};

/// Span counts of one type (or all).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Predicted spans that match a gold span exactly.
    pub tp: usize,
    /// Predicted spans that match none.
    pub fp: usize,
    /// Gold spans that no prediction matches.
    pub fn_: usize,
}

impl Counts {
    /// tp / (tp + fp), 0 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    /// tp / (tp + fn), 0 when there is no gold span.
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    /// The harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Per-type and overall counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvalReport {
    /// Indexed by [`Label::index`].
    pub per_type: [Counts; 4],
    /// All types together.
    pub overall: Counts,
}

impl EvalReport {
    /// Adds one sentence's gold and predicted spans (exact match of start,
    /// end and label counts as a true positive).
    pub fn add(&mut self, gold: &[Span], pred: &[Span]) {
        let mut g: Vec<Span> = gold.to_vec();
        let mut p: Vec<Span> = pred.to_vec();
        g.sort();
        g.dedup();
        p.sort();
        p.dedup();
        for s in &p {
            let t = s.2.index();
            if g.binary_search(s).is_ok() {
                self.per_type[t].tp += 1;
                self.overall.tp += 1;
            } else {
                self.per_type[t].fp += 1;
                self.overall.fp += 1;
            }
        }
        for s in &g {
            if p.binary_search(s).is_err() {
                self.per_type[s.2.index()].fn_ += 1;
                self.overall.fn_ += 1;
            }
        }
    }

    /// Overall F1.
    pub fn f1(&self) -> f64 {
        self.overall.f1()
    }
}

impl std::fmt::Display for EvalReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{:<8} {:>9} {:>9} {:>9} {:>7} {:>7} {:>7}",
            "type", "precision", "recall", "F1", "gold", "pred", "tp"
        )?;
        let row = |f: &mut std::fmt::Formatter<'_>, name: &str, c: &Counts| {
            writeln!(
                f,
                "{:<8} {:>9.4} {:>9.4} {:>9.4} {:>7} {:>7} {:>7}",
                name,
                c.precision(),
                c.recall(),
                c.f1(),
                c.tp + c.fn_,
                c.tp + c.fp,
                c.tp
            )
        };
        for l in Label::ALL {
            row(f, l.as_str(), &self.per_type[l.index()])?;
        }
        row(f, "overall", &self.overall)
    }
}

/// Evaluates sentence-aligned gold and predicted spans.
pub fn evaluate(gold: &[Vec<Span>], pred: &[Vec<Span>]) -> EvalReport {
    let mut r = EvalReport::default();
    for (i, g) in gold.iter().enumerate() {
        let empty = Vec::new();
        r.add(g, pred.get(i).unwrap_or(&empty));
    }
    for p in pred.iter().skip(gold.len()) {
        r.add(&[], p);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use Label::*;

    #[test]
    fn exact_match_only() {
        let gold = vec![vec![(0, 2, Per), (3, 4, Loc)], vec![(1, 2, Org)]];
        let pred = vec![vec![(0, 2, Per), (3, 5, Loc)], vec![(1, 2, Misc)]];
        let r = evaluate(&gold, &pred);
        assert_eq!(
            r.overall,
            Counts {
                tp: 1,
                fp: 2,
                fn_: 2
            }
        );
        assert!((r.overall.precision() - 1.0 / 3.0).abs() < 1e-12);
        assert!((r.overall.recall() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(r.per_type[Per.index()].f1(), 1.0);
        assert_eq!(r.per_type[Loc.index()].f1(), 0.0);
        assert_eq!(
            r.per_type[Misc.index()],
            Counts {
                tp: 0,
                fp: 1,
                fn_: 0
            }
        );
    }

    #[test]
    fn perfect_and_empty() {
        let gold = vec![vec![(0, 1, Per)], vec![]];
        assert_eq!(evaluate(&gold, &gold).f1(), 1.0);
        let r = evaluate(&[vec![]], &[vec![]]);
        assert_eq!(r.f1(), 0.0);
        let r = evaluate(&gold, &[vec![]]);
        assert_eq!(r.overall.fn_, 1);
        assert!(format!("{r}").contains("overall"));
    }

    #[test]
    fn f1_harmonic_mean() {
        let c = Counts {
            tp: 3,
            fp: 1,
            fn_: 3,
        };
        let (p, r) = (0.75, 0.5);
        assert!((c.f1() - 2.0 * p * r / (p + r)).abs() < 1e-12);
    }
}
