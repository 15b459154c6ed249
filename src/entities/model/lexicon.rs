//! Word lookups kept across documents: one per thread of a batch run.
//!
//! Every token needs its word's facts and, for each tagging stage, the cached word-only scores and
//! the weight rows of its previous-tag features. Looking those up per token and stage, and scoring
//! unseen words afresh in every article, took about a third of the tagging time; a lexicon resolves
//! each distinct form once for all stages and keeps what it found for later articles.

use super::{
    IdMap, Model, NO_ROW, NT, StrMap, TAG_CONTEXTS, prefetch, prev_tag_lower_key,
    prev_tag_shape_key,
};
use crate::entities::clusters::Clusters;
use crate::entities::features::{self, WINDOW, WordInfo};
use std::sync::Arc;

/// Forms a lexicon holds before it starts over, bounding its memory: a form outside the model's
/// vocabulary keeps `WINDOW * NT` scores per stage (340 bytes), any form about 250 bytes of
/// entries; measured, a full lexicon of the shipped two-stage model takes about 35 MB. Tagging the
/// shared corpora on one thread, 32k forms ran about 5% faster than 16k and 10% faster than 8k.
const MAX_FORMS: usize = 1 << 15;

/// Weight rows of one previous-tag feature template for every previous tag; `NO_ROW` where the
/// model has no weights.
type TagRows = [u32; TAG_CONTEXTS];

/// A row not looked up yet.
const UNSEEN: u32 = NO_ROW - 1;

/// What one tagging stage needs of each form.
#[derive(Default)]
struct StageWords {
    /// Per form: the word id in the stage's vocabulary, or the vocabulary size plus a row of
    /// `local`.
    ids: Vec<u32>,
    /// The scores of forms outside the vocabulary, `WINDOW * NT` per form.
    local: Vec<f32>,
    /// Per form, the rows of the previous-tag x lower-case template, looked up on first use:
    /// most forms only ever follow one or two different tags.
    lower_rows: Vec<TagRows>,
    /// Per form, an index into `rows` for the previous-tag x short-shape template.
    shape_rows: Vec<u32>,
    /// Distinct row sets of short shapes; 0 has no rows.
    rows: Vec<TagRows>,
    /// short-shape hash -> index into `rows` (few shapes, many forms).
    shapes: IdMap<u32>,
}

impl StageWords {
    fn clear(&mut self) {
        self.ids.clear();
        self.local.clear();
        self.lower_rows.clear();
        self.shape_rows.clear();
        self.rows.clear();
        self.shapes.clear();
    }

    /// The index in `rows` of the previous-tag x short-shape rows of `sshape`.
    fn shape_row_set(&mut self, m: &Model, sshape: u64) -> u32 {
        if self.rows.is_empty() {
            self.rows.push([NO_ROW; TAG_CONTEXTS]);
        }
        let mut set = [NO_ROW; TAG_CONTEXTS];
        for (t1, r) in set.iter_mut().enumerate() {
            *r = m.row_of(prev_tag_shape_key(t1, sshape));
        }
        if set.iter().all(|&r| r == NO_ROW) {
            return 0;
        }
        self.rows.push(set);
        u32::try_from(self.rows.len() - 1).expect("bounded by MAX_FORMS")
    }
}

/// Distinct word forms seen so far and what each tagging stage needs to know of them. Results never
/// depend on what a lexicon has seen: its entries are functions of the form alone.
pub struct Lexicon {
    /// The `identity` of the model the entries belong to (0: none yet).
    owner: u64,
    max_forms: usize,
    map: StrMap<u32>,
    infos: Vec<WordInfo>,
    /// Per stage: 0 is the outer model, 1 its first stage, ...
    stages: Vec<StageWords>,
    features: [Vec<u64>; WINDOW],
}

impl std::fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lexicon")
            .field("forms", &self.infos.len())
            .finish_non_exhaustive()
    }
}

impl Default for Lexicon {
    fn default() -> Self {
        Lexicon::with_max_forms(MAX_FORMS)
    }
}

impl Lexicon {
    /// A new, empty lexicon.
    pub fn new() -> Self {
        Lexicon::default()
    }

    /// A lexicon that starts over after `max_forms` forms (tests use small ones).
    pub(crate) fn with_max_forms(max_forms: usize) -> Self {
        Lexicon {
            owner: 0,
            max_forms,
            map: StrMap::default(),
            infos: Vec::new(),
            stages: Vec::new(),
            features: Default::default(),
        }
    }

    /// Forgets everything once the lexicon is full, or when it is used with another model than
    /// before; called between documents, so entries stay valid while a document is tagged.
    pub(super) fn start_document(&mut self, model: &Model) {
        if self.infos.len() >= self.max_forms || self.owner != model.identity {
            self.owner = model.identity;
            self.map.clear();
            self.infos.clear();
            self.stages.iter_mut().for_each(StageWords::clear);
        }
    }

    /// The entry of token `tok`, resolved for `model` and all its stages.
    pub(super) fn entry(&mut self, model: &Model, tok: &str) -> u32 {
        let w = features::normalize(tok);
        if let Some(&e) = self.map.get(w.as_ref()) {
            return e;
        }
        let e = u32::try_from(self.infos.len()).expect("bounded by MAX_FORMS");
        // Word facts depend on the form alone; the model caches them for its vocabulary.
        let info = match model.words.map.get(w.as_ref()) {
            Some(&id) => model.words.infos[id as usize],
            None => features::word_info(&w),
        };
        let mut stage = Some(model);
        let mut depth = 0;
        // The clusters the features in `self.features` were computed with.
        let mut featurised: Option<&Arc<Clusters>> = None;
        while let Some(m) = stage {
            if self.stages.len() == depth {
                self.stages.push(StageWords::default());
            }
            let sw = &mut self.stages[depth];
            let id = if let Some(&id) = m.words.map.get(w.as_ref()) {
                id
            } else {
                let known = u32::try_from(m.words.infos.len()).expect("vocabulary fits u32");
                let row = u32::try_from(sw.local.len() / (WINDOW * NT)).expect("bounded");
                if !featurised.is_some_and(|c| Arc::ptr_eq(c, &m.clusters)) {
                    features::word_features(&w, &m.clusters, &mut self.features);
                    featurised = Some(&m.clusters);
                }
                m.push_word_vec(&self.features, &mut sw.local);
                known + row
            };
            sw.ids.push(id);
            sw.lower_rows.push([UNSEEN; TAG_CONTEXTS]);
            let shape = if let Some(&s) = sw.shapes.get(&info.sshape) {
                s
            } else {
                let s = sw.shape_row_set(m, info.sshape);
                sw.shapes.insert(info.sshape, s);
                s
            };
            sw.shape_rows.push(shape);
            stage = m.stage1.as_deref();
            depth += 1;
        }
        self.infos.push(info);
        self.map.insert(w.as_ref().into(), e);
        e
    }

    /// The facts of entry `e`.
    pub(super) fn info(&self, e: u32) -> WordInfo {
        self.infos[e as usize]
    }

    /// The word id of entry `e` for the stage at `depth`.
    pub(super) fn id(&self, depth: usize, e: u32) -> u32 {
        self.stages[depth].ids[e as usize]
    }

    /// The cached scores (`WINDOW * NT`) of a word outside the vocabulary of the stage at `depth`.
    pub(super) fn local_block(&self, depth: usize, row: u32) -> &[f32] {
        &self.stages[depth].local[row as usize * WINDOW * NT..][..WINDOW * NT]
    }

    /// Starts loading what [`Lexicon::tag_rows`] reads for entry `e`.
    pub(super) fn prefetch_tag_rows(&self, depth: usize, e: u32) {
        let rows = &self.stages[depth].lower_rows[e as usize];
        prefetch(&rows[0]);
        prefetch(&rows[TAG_CONTEXTS - 1]);
    }

    /// The weight rows of entry `e`'s previous-tag x lower-case and x short-shape features after
    /// tag `t1`, for `model`, the stage at `depth`.
    pub(super) fn tag_rows(
        &mut self,
        model: &Model,
        depth: usize,
        e: u32,
        t1: usize,
    ) -> (u32, u32) {
        let sw = &mut self.stages[depth];
        let lower = &mut sw.lower_rows[e as usize][t1];
        if *lower == UNSEEN {
            let w = self.infos[e as usize].lower;
            *lower = model.row_of(prev_tag_lower_key(t1, w));
        }
        (*lower, sw.rows[sw.shape_rows[e as usize] as usize][t1])
    }
}
