/*
 * unspin._speedups: the trigram language model's probabilities without the Python
 * round trip per call, and the decoder's two inner loops over them (scoring the
 * candidates at a position, the beam search; unspin.detect._rank and _beam are
 * their Python reference).
 *
 * The pocketsphinx wheel ships the CMU en-us model and a Python binding whose
 * NGramModel.prob() costs a few microseconds a call (a list of encoded words, a
 * malloc, the lookup).  The detector asks for some ten thousand probabilities per
 * article, so that round trip was a fifth of its time.  This module opens the same
 * model with the same C library -- the functions the binding's own extension
 * exports (ngram_model_read, ngram_ng_prob, ...), found with dlsym -- and answers
 * LanguageModel.logprob / score / known in C.  The numbers are the library's own
 * integers times the same log base, so they equal the binding's bit for bit;
 * unspin.resources checks that on a sample when it loads this module and falls
 * back to the binding if they ever differ (or if a pocketsphinx release stops
 * exporting these names).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

typedef int int32;
typedef void *(*config_init_fn)(void *);
typedef void (*config_free_fn)(void *);
typedef void *(*logmath_init_fn)(double, int, int);
typedef int (*logmath_free_fn)(void *);
typedef void *(*model_read_fn)(void *, const char *, int, void *);
typedef int (*model_free_fn)(void *);
typedef int32 (*wid_fn)(void *, const char *);
typedef int32 (*ng_prob_fn)(void *, int32, int32 *, int32, int32 *);

/* A trigram's answer, by the ids of its words (NO_WORD where the history is shorter). */
struct memo_entry {
    int32 w, p1, p2;
    double value;
};
#define MEMO_BITS 17
#define MEMO_SIZE (1u << MEMO_BITS)
#define NO_WORD (-1000)
#define EMPTY (-2000)

typedef struct {
    PyObject_HEAD
    void *lib;
    void *config;
    void *lmath;
    void *model;
    config_free_fn config_free;
    logmath_free_fn logmath_free;
    model_free_fn model_free;
    wid_fn wid;
    ng_prob_fn ng_prob;
    double ln_base;      /* log base 1.0001 -> log10 */
    double oov_logprob;  /* what an unknown word scores */
    double known_above;  /* a word is known when its unigram log10 prob is above this */
    PyObject *words;     /* str -> (wid, unigram log10 prob) as a 2-tuple (int, float) */
    struct memo_entry *memo;  /* direct-mapped: a newer answer overwrites an older one */
} FastLM;

typedef struct {
    int32 wid;
    double uni;
} WordInfo;

/* The model's id and unigram log10 probability of ``word`` (a str), cached. */
static int
word_info(FastLM *self, PyObject *word, WordInfo *out)
{
    PyObject *hit = PyDict_GetItemWithError(self->words, word);
    if (hit != NULL) {
        out->wid = (int32)PyLong_AsLong(PyTuple_GET_ITEM(hit, 0));
        out->uni = PyFloat_AS_DOUBLE(PyTuple_GET_ITEM(hit, 1));
        return 0;
    }
    if (PyErr_Occurred())
        return -1;
    if (!PyUnicode_Check(word)) {
        PyErr_SetString(PyExc_TypeError, "words must be str");
        return -1;
    }
    const char *utf8 = PyUnicode_AsUTF8(word);
    if (utf8 == NULL)
        return -1;
    int32 wid = self->wid(self->model, utf8);
    int32 n_used;
    double uni = (double)self->ng_prob(self->model, wid, NULL, 0, &n_used) * self->ln_base;
    PyObject *entry = Py_BuildValue("(id)", (int)wid, uni);
    if (entry == NULL)
        return -1;
    /* An int and a float cannot form a cycle.  Left tracked, the fresh tuple would make
     * the dict tracked again as a young object (after a full collection had untracked it),
     * and every young collection would walk all of its tens of thousands of words. */
    PyObject_GC_UnTrack(entry);
    int rc = PyDict_SetItem(self->words, word, entry);
    Py_DECREF(entry);
    if (rc < 0)
        return -1;
    out->wid = wid;
    out->uni = uni;
    return 0;
}

/* log10 P(w | p2 p1) for words already looked up (NULL: no word).  The answer depends on
 * the words' ids only (unknown words share one id and are treated alike), so it is
 * memoised by them. */
static double
logprob_info(FastLM *self, const WordInfo *w, const WordInfo *p1, const WordInfo *p2)
{
    int32 hist[2], n_used;
    int32 id1 = NO_WORD, id2 = NO_WORD;
    if (p1 != NULL) {
        id1 = p1->wid;
        if (p2 != NULL)
            id2 = p2->wid;
    }
    uint32_t h = ((uint32_t)w->wid * 2654435761u) ^ ((uint32_t)id1 * 2246822519u) ^ ((uint32_t)id2 * 3266489917u);
    struct memo_entry *e = &self->memo[(h ^ (h >> MEMO_BITS)) & (MEMO_SIZE - 1)];
    if (e->w == w->wid && e->p1 == id1 && e->p2 == id2)
        return e->value;
    e->w = w->wid;
    e->p1 = id1;
    e->p2 = id2;
    if (w->uni <= self->known_above)
        e->value = self->oov_logprob;
    else if (p1 == NULL || p1->uni <= self->known_above)
        e->value = w->uni;
    else {
        hist[0] = p1->wid;
        if (p2 == NULL || p2->uni <= self->known_above)
            e->value = (double)self->ng_prob(self->model, w->wid, hist, 1, &n_used) * self->ln_base;
        else {
            hist[1] = p2->wid;
            e->value = (double)self->ng_prob(self->model, w->wid, hist, 2, &n_used) * self->ln_base;
        }
    }
    return e->value;
}

/* log10 P(word | prev2 prev1) as LanguageModel.logprob computes it (None: no word). */
static int
logprob(FastLM *self, PyObject *word, PyObject *prev1, PyObject *prev2, double *out)
{
    WordInfo w, p1, p2;
    if (word_info(self, word, &w) < 0)
        return -1;
    int have1 = prev1 != Py_None, have2 = have1 && prev2 != Py_None;
    if (have1 && word_info(self, prev1, &p1) < 0)
        return -1;
    if (have2 && word_info(self, prev2, &p2) < 0)
        return -1;
    *out = logprob_info(self, &w, have1 ? &p1 : NULL, have2 ? &p2 : NULL);
    return 0;
}

static void *
need(void *lib, const char *name)
{
    void *f = dlsym(lib, name);
    if (f == NULL)
        PyErr_Format(PyExc_ImportError, "the pocketsphinx library does not export %s", name);
    return f;
}

static int
FastLM_init(FastLM *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"library", "model", "ln_base", "oov_logprob", "known_above", NULL};
    const char *library, *model;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "ssddd", kwlist, &library, &model, &self->ln_base,
                                     &self->oov_logprob, &self->known_above))
        return -1;
    if (self->lib != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "FastLM is already initialised");
        return -1;
    }
    self->lib = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (self->lib == NULL) {
        PyErr_Format(PyExc_ImportError, "cannot open %s: %s", library, dlerror());
        return -1;
    }
    config_init_fn config_init = (config_init_fn)need(self->lib, "ps_config_init");
    logmath_init_fn logmath_init = (logmath_init_fn)need(self->lib, "logmath_init");
    model_read_fn model_read = (model_read_fn)need(self->lib, "ngram_model_read");
    self->config_free = (config_free_fn)need(self->lib, "ps_config_free");
    self->logmath_free = (logmath_free_fn)need(self->lib, "logmath_free");
    self->model_free = (model_free_fn)need(self->lib, "ngram_model_free");
    self->wid = (wid_fn)need(self->lib, "ngram_wid");
    self->ng_prob = (ng_prob_fn)need(self->lib, "ngram_ng_prob");
    if (!config_init || !logmath_init || !model_read || !self->config_free || !self->logmath_free
        || !self->model_free || !self->wid || !self->ng_prob)
        return -1;
    self->words = PyDict_New();
    if (self->words == NULL)
        return -1;
    self->memo = PyMem_RawMalloc(MEMO_SIZE * sizeof(struct memo_entry));
    if (self->memo == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (uint32_t i = 0; i < MEMO_SIZE; i++)
        self->memo[i].w = EMPTY;
    /* as pocketsphinx.NGramModel(Config(), LogMath(), path) does: default config, base 1.0001 */
    self->config = config_init(NULL);
    self->lmath = logmath_init(1.0001, 0, 0);
    if (self->config == NULL || self->lmath == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "pocketsphinx could not make a configuration");
        return -1;
    }
    Py_BEGIN_ALLOW_THREADS
    self->model = model_read(self->config, model, 0 /* NGRAM_AUTO */, self->lmath);
    Py_END_ALLOW_THREADS
    if (self->model == NULL) {
        PyErr_Format(PyExc_OSError, "pocketsphinx could not read the language model %s", model);
        return -1;
    }
    return 0;
}

static void
FastLM_dealloc(FastLM *self)
{
    if (self->model != NULL)
        self->model_free(self->model);
    if (self->lmath != NULL)
        self->logmath_free(self->lmath);
    if (self->config != NULL)
        self->config_free(self->config);
    /* the library stays open: the pocketsphinx module holds it anyway */
    Py_XDECREF(self->words);
    PyMem_RawFree(self->memo);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
ready(FastLM *self)
{
    if (self->model == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "FastLM is not initialised");
        return 0;
    }
    return 1;
}

/* A fast-call method's model is loaded and it got between lo and hi arguments. */
static int
called_right(FastLM *self, Py_ssize_t nargs, Py_ssize_t lo, Py_ssize_t hi, const char *usage)
{
    if (!ready(self))
        return 0;
    if (nargs < lo || nargs > hi) {
        PyErr_SetString(PyExc_TypeError, usage);
        return 0;
    }
    return 1;
}

static PyObject *
FastLM_logprob(FastLM *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!called_right(self, nargs, 1, 3, "logprob(word, prev1=None, prev2=None)"))
        return NULL;
    double v;
    if (logprob(self, args[0], nargs > 1 ? args[1] : Py_None, nargs > 2 ? args[2] : Py_None, &v) < 0)
        return NULL;
    return PyFloat_FromDouble(v);
}

/* Sum of log10 probabilities of a[0..na) then b[0..nb) after history (p2, p1), as
 * LanguageModel.score computes it over the concatenation. */
static int
score2(FastLM *self, PyObject **a, Py_ssize_t na, PyObject **b, Py_ssize_t nb, PyObject *p2, PyObject *p1,
       double *out)
{
    double total = 0.0, v;
    for (Py_ssize_t j = 0; j < na + nb; j++) {
        PyObject *w = j < na ? a[j] : b[j - na];
        if (logprob(self, w, p1, p2, &v) < 0)
            return -1;
        total += v;
        p2 = p1;
        p1 = w;
    }
    *out = total;
    return 0;
}

static PyObject *
FastLM_score(FastLM *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!called_right(self, nargs, 1, 2, "score(words, history=(None, None))"))
        return NULL;
    PyObject *p2 = Py_None, *p1 = Py_None;
    if (nargs == 2) {
        if (!PyTuple_Check(args[1]) || PyTuple_GET_SIZE(args[1]) != 2) {
            PyErr_SetString(PyExc_TypeError, "history must be a (prev2, prev1) tuple");
            return NULL;
        }
        p2 = PyTuple_GET_ITEM(args[1], 0);
        p1 = PyTuple_GET_ITEM(args[1], 1);
    }
    PyObject *seq = PySequence_Fast(args[0], "words must be a sequence");
    if (seq == NULL)
        return NULL;
    double total;
    int rc = score2(self, PySequence_Fast_ITEMS(seq), PySequence_Fast_GET_SIZE(seq), NULL, 0, p2, p1, &total);
    Py_DECREF(seq);
    return rc < 0 ? NULL : PyFloat_FromDouble(total);
}

static PyObject *
FastLM_known(FastLM *self, PyObject *word)
{
    WordInfo w;
    if (!ready(self) || word_info(self, word, &w) < 0)
        return NULL;
    return PyBool_FromLong(w.uni > self->known_above);
}


/* --- the decoder's inner loops (unspin.detect._gains and _beam in C) --------------------- */

typedef struct {
    Py_ssize_t length;
    PyObject *original; /* tuple of str, borrowed from the candidate */
    PyObject *source;   /* str, borrowed from the candidate */
    double prior;
    double lexicon_count;
    int lexicon;
} CandInfo;

static PyObject *str_length, *str_original, *str_prior, *str_source, *str_lexicon, *str_lexicon_count;

/* A candidate's attribute, borrowed: the reference is dropped at once (the candidate keeps it). */
static PyObject *
field(PyObject *c, PyObject *name)
{
    PyObject *v = PyObject_GetAttr(c, name);
    Py_XDECREF(v);
    return v;
}

/* A named tuple type whose items were seen to be a Candidate's fields in order (length,
 * original, prior, source, lexicon_count): its instances are read by index, without the five
 * attribute lookups.  Learned from the first candidate read by name (a strong reference). */
static PyTypeObject *candidate_type = NULL;

/* Read a Candidate's fields. */
static int
cand_info(PyObject *c, CandInfo *out)
{
    PyObject *length, *prior, *count;
    if (Py_TYPE(c) == candidate_type) {
        length = PyTuple_GET_ITEM(c, 0);
        out->original = PyTuple_GET_ITEM(c, 1);
        prior = PyTuple_GET_ITEM(c, 2);
        out->source = PyTuple_GET_ITEM(c, 3);
        count = PyTuple_GET_ITEM(c, 4);
    } else {
        if ((length = field(c, str_length)) == NULL || (prior = field(c, str_prior)) == NULL
            || (count = field(c, str_lexicon_count)) == NULL || (out->original = field(c, str_original)) == NULL
            || (out->source = field(c, str_source)) == NULL)
            return -1;
        if (candidate_type == NULL && PyTuple_Check(c) && PyTuple_GET_SIZE(c) >= 5 && PyTuple_GET_ITEM(c, 0) == length
            && PyTuple_GET_ITEM(c, 1) == out->original && PyTuple_GET_ITEM(c, 2) == prior
            && PyTuple_GET_ITEM(c, 3) == out->source && PyTuple_GET_ITEM(c, 4) == count) {
            candidate_type = Py_TYPE(c);
            Py_INCREF(candidate_type);
        }
    }
    if (!PyTuple_Check(out->original) || !PyUnicode_Check(out->source)) {
        PyErr_SetString(PyExc_TypeError, "a candidate's original must be a tuple and its source a str");
        return -1;
    }
    out->length = PyLong_AsSsize_t(length);
    out->prior = PyFloat_AsDouble(prior);
    out->lexicon_count = PyFloat_AsDouble(count);
    out->lexicon = PyUnicode_Compare(out->source, str_lexicon) == 0;
    if (PyErr_Occurred())
        return -1;
    if (out->length < 1) {
        PyErr_SetString(PyExc_ValueError, "a candidate spans at least one word");
        return -1;
    }
    return 0;
}

/* candidates.lexicon_evidence: 1 - 0.5**count, 0 without a record. */
static double
lexicon_evidence(const CandInfo *ci)
{
    return ci->lexicon_count > 0 ? 1.0 - pow(0.5, ci->lexicon_count) : 0.0;
}

/* _Edge.bonus: the candidate's evidence besides the language model. */
static double
edge_bonus(const CandInfo *ci, double topic_gain, double prior_weight, double topic_weight)
{
    return prior_weight * ci->prior + topic_weight * topic_gain;
}

typedef struct {
    double value;
    Py_ssize_t k;
} Ranked;

static int
ranked_cmp(const void *x, const void *y)
{
    const Ranked *a = x, *b = y;
    if (a->value < b->value)
        return -1;
    if (a->value > b->value)
        return 1;
    return a->k < b->k ? -1 : a->k > b->k;
}

/* The candidates' fields, read once per call. */
typedef struct {
    CandInfo *ci;
    char *keep;
    double *gain;
    Py_ssize_t nc;
} Cands;

static void
cands_free(Cands *c)
{
    PyMem_Free(c->ci);
    PyMem_Free(c->keep);
    PyMem_Free(c->gain);
}

static int
cands_read(PyObject *cands_obj, Cands *c)
{
    Py_ssize_t nc = PyList_GET_SIZE(cands_obj);
    c->nc = nc;
    c->ci = PyMem_Malloc((nc + 1) * sizeof(CandInfo));
    c->keep = PyMem_Malloc(nc + 1);
    c->gain = PyMem_Malloc((nc + 1) * sizeof(double));
    if (c->ci == NULL || c->keep == NULL || c->gain == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t k = 0; k < nc; k++)
        if (cand_info(PyList_GET_ITEM(cands_obj, k), &c->ci[k]) < 0)
            return -1;
    return 0;
}

/* Sum of log10 probabilities of a[0..na) then b[0..nb) after history (p2, p1), for words
 * already looked up: score2 without the lookups. */
static double
score_info(FastLM *self, const WordInfo *a, Py_ssize_t na, const WordInfo *b, Py_ssize_t nb, const WordInfo *p2,
           const WordInfo *p1)
{
    double total = 0.0;
    for (Py_ssize_t j = 0; j < na + nb; j++) {
        const WordInfo *w = j < na ? &a[j] : &b[j - na];
        total += logprob_info(self, w, p1, p2);
        p2 = p1;
        p1 = w;
    }
    return total;
}

/* unspin.detect._gains: sets keep[k] for the candidates worth a full score and gain[k] for them.
 *
 * The words around the position and the candidates' words are looked up once.  A candidate
 * scored in the preselection (its words and the one after the span) is fully scored by adding
 * the second word after the span to that sum: the same additions in the same order as scoring
 * it anew, so the same number. */
static int
position_gains(FastLM *self, PyObject **words, Py_ssize_t n, Py_ssize_t i, Cands *c, Py_ssize_t preselect,
               double prior_weight)
{
    Py_ssize_t nc = c->nc, max_len = 1, n_orig = 0;
    CandInfo *ci = c->ci;
    for (Py_ssize_t k = 0; k < nc; k++) {
        if (ci[k].length > max_len)
            max_len = ci[k].length;
        n_orig += PyTuple_GET_SIZE(ci[k].original);
    }
    /* words[lo .. hi) is all any score reads: two words before the position, the longest
     * span and two words after it */
    Py_ssize_t lo = i >= 2 ? i - 2 : 0, hi = i + max_len + 2 < n ? i + max_len + 2 : n;
    double *as_written = PyMem_Calloc(max_len + 1, sizeof(double));
    double *with_s = PyMem_Calloc(max_len + 1, sizeof(double));
    char *have_aw = PyMem_Calloc(max_len + 1, 1);
    char *have_ws = PyMem_Calloc(max_len + 1, 1);
    Ranked *ranked = PyMem_Malloc((nc + 1) * sizeof(Ranked));
    double *pre = PyMem_Malloc((nc + 1) * sizeof(double)); /* the preselection's sum */
    char *have_pre = PyMem_Calloc(nc + 1, 1);
    WordInfo *wi = PyMem_Malloc((hi - lo + 1) * sizeof(WordInfo)); /* words[j] at wi[j - lo] */
    WordInfo *oi = PyMem_Malloc((n_orig + 1) * sizeof(WordInfo)); /* the originals' words, in turn */
    Py_ssize_t *o_at = PyMem_Malloc((nc + 1) * sizeof(Py_ssize_t)); /* candidate k's words: oi[o_at[k]...] */
    int rc = -1;
    if (as_written == NULL || with_s == NULL || have_aw == NULL || have_ws == NULL || ranked == NULL || pre == NULL
        || have_pre == NULL || wi == NULL || oi == NULL || o_at == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t j = lo; j < hi; j++)
        if (word_info(self, words[j], &wi[j - lo]) < 0)
            goto done;
    for (Py_ssize_t k = 0, at = 0; k < nc; k++) {
        o_at[k] = at;
        for (Py_ssize_t q = 0; q < PyTuple_GET_SIZE(ci[k].original); q++)
            if (word_info(self, PyTuple_GET_ITEM(ci[k].original, q), &oi[at++]) < 0)
                goto done;
    }
    const WordInfo *p2 = i >= 2 ? &wi[i - 2 - lo] : NULL, *p1 = i >= 1 ? &wi[i - 1 - lo] : NULL;
    if (nc > preselect) {
        Py_ssize_t nr = 0;
        for (Py_ssize_t k = 0; k < nc; k++) {
            c->keep[k] = (char)ci[k].lexicon;
            if (ci[k].lexicon)
                continue;
            Py_ssize_t L = ci[k].length;
            Py_ssize_t end = i + L < n ? i + L : n;  /* words[i : i + L] */
            Py_ssize_t after = i + L < n ? 1 : 0;    /* words[i + L : i + L + 1] */
            const WordInfo *next = &wi[end - lo];   /* (read only where after is 1) */
            if (!have_aw[L]) {
                as_written[L] = score_info(self, &wi[i - lo], end - i, next, after, p2, p1);
                have_aw[L] = 1;
            }
            double s = score_info(self, &oi[o_at[k]], PyTuple_GET_SIZE(ci[k].original), next, after, p2, p1);
            pre[k] = s;
            have_pre[k] = 1;
            ranked[nr].value = as_written[L] - s - prior_weight * ci[k].prior;
            ranked[nr].k = k;
            nr++;
        }
        qsort(ranked, nr, sizeof(Ranked), ranked_cmp);
        for (Py_ssize_t r = 0; r < nr && r < preselect; r++)
            c->keep[ranked[r].k] = 1;
    } else {
        memset(c->keep, 1, nc);
    }
    for (Py_ssize_t k = 0; k < nc; k++) {
        if (!c->keep[k])
            continue;
        Py_ssize_t L = ci[k].length, no = PyTuple_GET_SIZE(ci[k].original);
        Py_ssize_t end = i + L < n ? i + L : n;
        Py_ssize_t right = i + L >= n ? 0 : (n - (i + L) < 2 ? n - (i + L) : 2); /* words[i + L : i + L + 2] */
        const WordInfo *next = &wi[end - lo];
        if (!have_ws[L]) {
            if (have_aw[L])  /* the span and the word after it, scored: add the second word after */
                with_s[L] = right < 2 ? as_written[L]
                                      : as_written[L] + logprob_info(self, &next[1], &next[0], &wi[end - 1 - lo]);
            else
                with_s[L] = score_info(self, &wi[i - lo], end - i, next, right, p2, p1);
            have_ws[L] = 1;
        }
        double s;
        if (have_pre[k] && no > 0)
            s = right < 2 ? pre[k] : pre[k] + logprob_info(self, &next[1], &next[0], &oi[o_at[k] + no - 1]);
        else
            s = score_info(self, &oi[o_at[k]], no, next, right, p2, p1);
        c->gain[k] = s - with_s[L];
    }
    rc = 0;
done:
    PyMem_Free(as_written);
    PyMem_Free(with_s);
    PyMem_Free(have_aw);
    PyMem_Free(have_ws);
    PyMem_Free(ranked);
    PyMem_Free(pre);
    PyMem_Free(have_pre);
    PyMem_Free(wi);
    PyMem_Free(oi);
    PyMem_Free(o_at);
    return rc;
}

/* gains(words, i, cands, preselect, prior_weight) -> [(k, gain)]: see unspin.detect._gains. */
static PyObject *
FastLM_gains(FastLM *self, PyObject *args)
{
    PyObject *words_obj, *cands_obj;
    Py_ssize_t i, preselect;
    double prior_weight;
    if (!ready(self) || !PyArg_ParseTuple(args, "O!nO!nd", &PyList_Type, &words_obj, &i, &PyList_Type, &cands_obj,
                                          &preselect, &prior_weight))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(words_obj);
    if (i < 0 || i >= n) {
        PyErr_SetString(PyExc_IndexError, "position out of range");
        return NULL;
    }
    Cands c = {0};
    PyObject *result = NULL;
    if (cands_read(cands_obj, &c) < 0
        || position_gains(self, PySequence_Fast_ITEMS(words_obj), n, i, &c, preselect, prior_weight) < 0)
        goto done;
    result = PyList_New(0);
    if (result == NULL)
        goto done;
    for (Py_ssize_t k = 0; k < c.nc; k++) {
        if (!c.keep[k])
            continue;
        PyObject *item = Py_BuildValue("(nd)", k, c.gain[k]);
        if (item == NULL || PyList_Append(result, item) < 0) {
            Py_XDECREF(item);
            Py_CLEAR(result);
            goto done;
        }
        Py_DECREF(item);
    }
done:
    cands_free(&c);
    return result;
}

/* A word's row in the topic scores (-1 where the vectors do not know it, -2 on error). */
static Py_ssize_t
topic_row(PyObject *index, PyObject *word)
{
    PyObject *row = PyDict_GetItemWithError(index, word);
    if (row == NULL)
        return PyErr_Occurred() ? -2 : -1;
    Py_ssize_t r = PyLong_AsSsize_t(row);
    return r == -1 && PyErr_Occurred() ? -2 : r;
}

typedef struct {
    Py_ssize_t k;
    double gain, topic, local;
} Scored;

/* rank(words, i, cands, constants, index, scores, topic_gain, uncounted) -> ([(k, gain, topic)], best)
 * see unspin.detect._rank.  constants: (preselect, prior_weight, topic_weight, substitution_cost,
 * local_margin, max_candidates). */
static PyObject *
FastLM_rank(FastLM *self, PyObject *args)
{
    PyObject *words_obj, *cands_obj, *index, *scores_obj, *topic_fn, *uncounted;
    Py_ssize_t i, preselect, max_candidates;
    double prior_weight, topic_weight, substitution_cost, local_margin;
    if (!ready(self) || !PyArg_ParseTuple(args, "O!nO!(nddddn)OOOO", &PyList_Type, &words_obj, &i, &PyList_Type,
                                          &cands_obj, &preselect, &prior_weight, &topic_weight, &substitution_cost,
                                          &local_margin, &max_candidates, &index, &scores_obj, &topic_fn,
                                          &uncounted))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(words_obj);
    if (i < 0 || i >= n) {
        PyErr_SetString(PyExc_IndexError, "position out of range");
        return NULL;
    }
    if (scores_obj != Py_None && !PyDict_Check(index)) {
        PyErr_SetString(PyExc_TypeError, "index must be a dict");
        return NULL;
    }
    if (!PyAnySet_Check(uncounted)) {
        PyErr_SetString(PyExc_TypeError, "uncounted must be a set");
        return NULL;
    }
    PyObject **words = PySequence_Fast_ITEMS(words_obj);
    Cands c = {0};
    Scored *sc = NULL;
    Py_buffer view;
    int have_view = 0;
    PyObject *result = NULL;
    if (scores_obj != Py_None) {
        if (PyObject_GetBuffer(scores_obj, &view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0)
            return NULL;
        have_view = 1;
        if (view.ndim != 1 || view.itemsize != 4 || view.format == NULL || strcmp(view.format, "f") != 0) {
            PyErr_SetString(PyExc_TypeError, "topic scores must be a float32 vector");
            goto done;
        }
    }
    if (cands_read(cands_obj, &c) < 0 || position_gains(self, words, n, i, &c, preselect, prior_weight) < 0)
        goto done;
    sc = PyMem_Malloc((c.nc + 1) * sizeof(Scored));
    if (sc == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t ns = 0, rs = -1; /* rs: the spun word's row in the topic scores */
    int have_best = 0;
    double best = 0.0;
    if (have_view && (rs = topic_row(index, words[i])) == -2)
        goto done;
    for (Py_ssize_t k = 0; k < c.nc; k++) {
        if (!c.keep[k])
            continue;
        CandInfo *ci = &c.ci[k];
        double topic = 0.0;
        if (have_view) {
            if (ci->length == 1 && PyTuple_GET_SIZE(ci->original) == 1) {
                Py_ssize_t ro = topic_row(index, PyTuple_GET_ITEM(ci->original, 0));
                if (ro == -2)
                    goto done;
                if (ro >= 0 && rs >= 0) {
                    if (ro >= view.shape[0] || rs >= view.shape[0]) {
                        PyErr_SetString(PyExc_IndexError, "a word's row lies past the topic scores");
                        goto done;
                    }
                    const float *f = view.buf;
                    float d = f[ro] - f[rs]; /* numpy subtracts float32 in float32 */
                    topic = (double)d;
                }
            } else {
                Py_ssize_t end = i + ci->length < n ? i + ci->length : n;
                PyObject *spun = PyList_GetSlice(words_obj, i, end);
                if (spun == NULL)
                    goto done;
                PyObject *v = PyObject_CallFunctionObjArgs(topic_fn, spun, ci->original, NULL);
                Py_DECREF(spun);
                if (v == NULL)
                    goto done;
                topic = PyFloat_AsDouble(v);
                Py_DECREF(v);
                if (topic == -1.0 && PyErr_Occurred())
                    goto done;
            }
        }
        sc[ns].k = k;
        sc[ns].gain = c.gain[k];
        sc[ns].topic = topic;
        sc[ns].local = c.gain[k] + edge_bonus(ci, topic, prior_weight, topic_weight)
                       - substitution_cost * lexicon_evidence(ci);
        ns++;
        if (ci->length == 1) {
            int skip = PySet_Contains(uncounted, ci->source);
            if (skip < 0)
                goto done;
            if (!skip && (!have_best || c.gain[k] > best)) {
                best = c.gain[k];
                have_best = 1;
            }
        }
    }
    /* stable sort, best local score first */
    for (Py_ssize_t j = 1; j < ns; j++) {
        Scored x = sc[j];
        Py_ssize_t q = j - 1;
        while (q >= 0 && sc[q].local < x.local) {
            sc[q + 1] = sc[q];
            q--;
        }
        sc[q + 1] = x;
    }
    PyObject *kept = PyList_New(0);
    if (kept == NULL)
        goto done;
    for (Py_ssize_t j = 0; j < ns && PyList_GET_SIZE(kept) < max_candidates; j++) {
        if (!(sc[j].local > -local_margin))
            continue;
        PyObject *item = Py_BuildValue("(ndd)", sc[j].k, sc[j].gain, sc[j].topic);
        if (item == NULL || PyList_Append(kept, item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(kept);
            goto done;
        }
        Py_DECREF(item);
    }
    if (have_best)
        result = Py_BuildValue("(Nd)", kept, best);
    else
        result = Py_BuildValue("(NO)", kept, Py_None);
done:
    if (have_view)
        PyBuffer_Release(&view);
    PyMem_Free(sc);
    cands_free(&c);
    return result;
}

/* One beam state: the last two words out (None at the start), the score, and how it was reached. */
typedef struct {
    PyObject *p2, *p1; /* borrowed: words of the segment or of a candidate's original */
    double score;
    Py_ssize_t from;   /* index of the previous state in beams[from_pos] (-1 at the start) */
    Py_ssize_t from_pos;
    Py_ssize_t edge;   /* index into the edges at from_pos, or -1: the word kept as written */
} State;

typedef struct {
    State *s;
    Py_ssize_t n, cap;
} Beam;

static int
same_word(PyObject *a, PyObject *b)
{
    if (a == b)
        return 1;
    if (a == Py_None || b == Py_None)
        return 0;
    return PyUnicode_Compare(a, b) == 0;
}

/* _push: a new key goes last; a known key takes a strictly better score in place. */
static int
push(Beam *beam, PyObject *p2, PyObject *p1, double score, Py_ssize_t from, Py_ssize_t from_pos, Py_ssize_t edge)
{
    for (Py_ssize_t j = 0; j < beam->n; j++) {
        State *st = &beam->s[j];
        if (same_word(st->p2, p2) && same_word(st->p1, p1)) {
            if (score > st->score) {
                st->score = score;
                st->from = from;
                st->from_pos = from_pos;
                st->edge = edge;
            }
            return 0;
        }
    }
    if (beam->n == beam->cap) {
        Py_ssize_t cap = beam->cap ? 2 * beam->cap : 8;
        State *grown = PyMem_Realloc(beam->s, cap * sizeof(State));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        beam->s = grown;
        beam->cap = cap;
    }
    State *st = &beam->s[beam->n++];
    st->p2 = p2;
    st->p1 = p1;
    st->score = score;
    st->from = from;
    st->from_pos = from_pos;
    st->edge = edge;
    return 0;
}

/* An edge of the beam: its candidate's span and words, and what the path pays or gains for it. */
typedef struct {
    Py_ssize_t length;
    PyObject *original; /* borrowed from the candidate */
    double cost, bonus;
} EdgeInfo;

static PyObject *str_cand, *str_topic_gain, *str_certain;

/* Read the _Edge objects of every position once: cost = substitution_cost * (1 - lexicon evidence),
 * plus certain_gain per spun word for a certain edge, and bonus = prior_weight * prior + topic_weight * topic gain,
 * as _beam computes them. */
static int
read_edges(PyObject *edges_obj, Py_ssize_t n, double substitution_cost, double prior_weight, double topic_weight,
           double certain_gain, EdgeInfo **out, Py_ssize_t *first)
{
    Py_ssize_t total = 0;
    for (Py_ssize_t pos = 0; pos < n; pos++) {
        PyObject *at = PyList_GET_ITEM(edges_obj, pos);
        if (!PyList_Check(at)) {
            PyErr_SetString(PyExc_TypeError, "edges must be lists");
            return -1;
        }
        first[pos] = total;
        total += PyList_GET_SIZE(at);
    }
    first[n] = total;
    EdgeInfo *ei = *out = PyMem_Malloc((total + 1) * sizeof(EdgeInfo));
    if (ei == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t pos = 0; pos < n; pos++) {
        PyObject *at = PyList_GET_ITEM(edges_obj, pos);
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(at); k++) {
            PyObject *edge = PyList_GET_ITEM(at, k), *cand, *topic, *certain_obj;
            CandInfo ci;
            if ((cand = field(edge, str_cand)) == NULL || (topic = field(edge, str_topic_gain)) == NULL
                || (certain_obj = field(edge, str_certain)) == NULL || cand_info(cand, &ci) < 0)
                return -1;
            int certain = PyObject_IsTrue(certain_obj);
            if (certain < 0)
                return -1;
            double topic_gain = PyFloat_AsDouble(topic);
            if (topic_gain == -1.0 && PyErr_Occurred())
                return -1;
            if (pos + ci.length > n || PyTuple_GET_SIZE(ci.original) < 1) {
                PyErr_SetString(PyExc_ValueError, "an edge runs past the segment or has no words");
                return -1;
            }
            EdgeInfo *e = &ei[first[pos] + k];
            e->length = ci.length;
            e->original = ci.original;
            e->cost = substitution_cost * (1.0 - lexicon_evidence(&ci)) + (certain ? certain_gain * (double)ci.length : 0.0);
            e->bonus = edge_bonus(&ci, topic_gain, prior_weight, topic_weight);
        }
    }
    return 0;
}

/* beam(words, edges, width, (substitution_cost, prior_weight, topic_weight, certain_gain)) -> [(position, index)]
 * of the best path's substitutions: see unspin.detect._beam.  edges[pos] is the list of _Edge
 * objects starting at pos. */
static PyObject *
FastLM_beam(FastLM *self, PyObject *args)
{
    PyObject *words_obj, *edges_obj;
    Py_ssize_t width;
    double substitution_cost, prior_weight, topic_weight, certain_gain;
    if (!ready(self) || !PyArg_ParseTuple(args, "O!O!n(dddd)", &PyList_Type, &words_obj, &PyList_Type, &edges_obj,
                                          &width, &substitution_cost, &prior_weight, &topic_weight, &certain_gain))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(words_obj);
    if (PyList_GET_SIZE(edges_obj) != n) {
        PyErr_SetString(PyExc_ValueError, "one list of edges per word");
        return NULL;
    }
    if (width < 1) {
        PyErr_SetString(PyExc_ValueError, "the beam holds at least one state");
        return NULL;
    }
    PyObject **words = PySequence_Fast_ITEMS(words_obj);
    Beam *beams = PyMem_Calloc(n + 1, sizeof(Beam));
    Py_ssize_t *order = NULL;
    Py_ssize_t order_cap = 0;
    PyObject *result = NULL;
    if (beams == NULL)
        return PyErr_NoMemory();
    EdgeInfo *ei = NULL;
    Py_ssize_t *first = PyMem_Calloc(n + 1, sizeof(Py_ssize_t)); /* edges of pos: ei[first[pos]:first[pos + 1]] */
    if (first == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (read_edges(edges_obj, n, substitution_cost, prior_weight, topic_weight, certain_gain, &ei, first) < 0)
        goto done;
    if (push(&beams[0], Py_None, Py_None, 0.0, -1, -1, -1) < 0)
        goto done;
    for (Py_ssize_t pos = 0; pos < n; pos++) {
        Beam *beam = &beams[pos];
        if (beam->n == 0)
            continue;
        /* the states in the order Python visits them: insertion order, or the `width` best
         * by a stable sort on the score (descending) */
        if (order_cap < beam->n) {
            PyMem_Free(order);
            order_cap = beam->n;
            order = PyMem_Malloc(order_cap * sizeof(Py_ssize_t));
            if (order == NULL) {
                PyErr_NoMemory();
                goto done;
            }
        }
        Py_ssize_t m = beam->n;
        for (Py_ssize_t j = 0; j < m; j++)
            order[j] = j;
        if (m > width) {
            for (Py_ssize_t j = 1; j < m; j++) { /* insertion sort: stable */
                Py_ssize_t x = order[j], q = j - 1;
                while (q >= 0 && beam->s[order[q]].score < beam->s[x].score) {
                    order[q + 1] = order[q];
                    q--;
                }
                order[q + 1] = x;
            }
            m = width;
        }
        for (Py_ssize_t o = 0; o < m; o++) {
            Py_ssize_t j = order[o];
            /* copy: pushing may grow (move) other beams, never this one */
            State st = beam->s[j];
            double v;
            if (logprob(self, words[pos], st.p1, st.p2, &v) < 0)
                goto done;
            if (push(&beams[pos + 1], st.p1, words[pos], st.score + v, j, pos, -1) < 0)
                goto done;
            for (Py_ssize_t k = first[pos]; k < first[pos + 1]; k++) {
                EdgeInfo *e = &ei[k];
                Py_ssize_t no = PyTuple_GET_SIZE(e->original);
                double lm;
                if (score2(self, PySequence_Fast_ITEMS(e->original), no, NULL, 0, st.p2, st.p1, &lm) < 0)
                    goto done;
                double s = st.score + e->cost + e->bonus + lm;
                PyObject *k2 = no > 1 ? PyTuple_GET_ITEM(e->original, no - 2) : st.p1;
                if (push(&beams[pos + e->length], k2, PyTuple_GET_ITEM(e->original, no - 1), s, j, pos,
                         k - first[pos]) < 0)
                    goto done;
            }
        }
    }
    {
        /* max() keeps the first of equal scores */
        Beam *last = &beams[n];
        Py_ssize_t best = 0;
        for (Py_ssize_t j = 1; j < last->n; j++)
            if (last->s[j].score > last->s[best].score)
                best = j;
        result = PyList_New(0);
        if (result == NULL)
            goto done;
        Py_ssize_t pos = n, j = best;
        while (pos > 0) {
            State *st = &beams[pos].s[j];
            if (st->edge >= 0) {
                PyObject *item = Py_BuildValue("(nn)", st->from_pos, st->edge);
                if (item == NULL || PyList_Append(result, item) < 0) {
                    Py_XDECREF(item);
                    Py_CLEAR(result);
                    goto done;
                }
                Py_DECREF(item);
            }
            j = st->from;
            pos = st->from_pos;
        }
        if (PyList_Reverse(result) < 0)
            Py_CLEAR(result);
    }
done:
    for (Py_ssize_t pos = 0; pos <= n; pos++)
        PyMem_Free(beams[pos].s);
    PyMem_Free(beams);
    PyMem_Free(order);
    PyMem_Free(ei);
    PyMem_Free(first);
    return result;
}

static PyMethodDef FastLM_methods[] = {
    {"logprob", (PyCFunction)(void (*)(void))FastLM_logprob, METH_FASTCALL,
     "logprob(word, prev1=None, prev2=None) -> log10 P(word | prev2 prev1)"},
    {"score", (PyCFunction)(void (*)(void))FastLM_score, METH_FASTCALL,
     "score(words, history=(None, None)) -> sum of log10 probabilities of words after history"},
    {"known", (PyCFunction)FastLM_known, METH_O, "known(word) -> whether the model knows word"},
    {"gains", (PyCFunction)FastLM_gains, METH_VARARGS,
     "gains(words, i, cands, preselect, prior_weight) -> [(index, gain)] (unspin.detect._gains in C)"},
    {"rank", (PyCFunction)FastLM_rank, METH_VARARGS,
     "rank(words, i, cands, constants, index, scores, topic_gain, uncounted) -> ([(index, gain, topic)], best) "
     "(unspin.detect._rank in C)"},
    {"beam", (PyCFunction)FastLM_beam, METH_VARARGS,
     "beam(words, edges, width, constants) -> [(position, index)] of the best path (unspin.detect._beam in C)"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FastLMType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "unspin._speedups.FastLM",
    .tp_basicsize = sizeof(FastLM),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "FastLM(library, model, ln_base, oov_logprob, known_above): the trigram model in C",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)FastLM_init,
    .tp_dealloc = (destructor)FastLM_dealloc,
    .tp_methods = FastLM_methods,
};

/* untrack(objects): the garbage collector stops tracking each of them.  Only for objects
 * that cannot be part of a reference cycle (unspin's candidates hold strings and numbers):
 * reference counting still frees them, and a full collection no longer walks the many
 * thousands an engine keeps cached. */
static PyObject *
untrack(PyObject *module, PyObject *objects)
{
    PyObject *seq = PySequence_Fast(objects, "untrack() takes a sequence");
    if (seq == NULL)
        return NULL;
    for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(seq); k++) {
        PyObject *o = PySequence_Fast_GET_ITEM(seq, k);
        if (PyObject_IS_GC(o))
            PyObject_GC_UnTrack(o);
    }
    Py_DECREF(seq);
    Py_RETURN_NONE;
}

/* Untrack o if it is a tuple of strings, numbers and such tuples (recursively), as the
 * collector itself would on its next pass over it: 1 if o is (now) untracked or no
 * container at all. */
static int
settle(PyObject *o)
{
    if (!PyObject_IS_GC(o))
        return 1;
    if (!PyObject_GC_IsTracked(o))
        return 1;
    if (!PyTuple_CheckExact(o))
        return 0;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(o); k++) {
        PyObject *item = PyTuple_GET_ITEM(o, k);
        if (item == NULL || !settle(item))
            return 0;
    }
    PyObject_GC_UnTrack(o);
    return 1;
}

/* settled(obj) -> obj: see settle().  A memo's key and answer made of strings, numbers and
 * tuples, settled before they go in, leave the memo's dict untracked: otherwise each fresh
 * tuple tracks the dict again, as a young object, and young collections walk all of it. */
static PyObject *
settled(PyObject *module, PyObject *obj)
{
    settle(obj);
    return Py_NewRef(obj);
}

static PyMethodDef module_methods[] = {
    {"untrack", untrack, METH_O, "untrack(objects): the garbage collector stops tracking them (acyclic objects only)"},
    {"settled", settled, METH_O, "settled(obj) -> obj, untracked if it is a tuple of atoms and such tuples"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_speedups", "The trigram language model and the decoder's inner loops in C.", -1,
    module_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (PyType_Ready(&FastLMType) < 0)
        return NULL;
    str_length = PyUnicode_InternFromString("length");
    str_original = PyUnicode_InternFromString("original");
    str_prior = PyUnicode_InternFromString("prior");
    str_source = PyUnicode_InternFromString("source");
    str_lexicon = PyUnicode_InternFromString("lexicon");
    str_lexicon_count = PyUnicode_InternFromString("lexicon_count");
    str_cand = PyUnicode_InternFromString("cand");
    str_topic_gain = PyUnicode_InternFromString("topic_gain");
    str_certain = PyUnicode_InternFromString("certain");
    if (!str_length || !str_original || !str_prior || !str_source || !str_lexicon || !str_lexicon_count || !str_cand
        || !str_topic_gain || !str_certain)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&FastLMType);
    if (PyModule_AddObject(m, "FastLM", (PyObject *)&FastLMType) < 0) {
        Py_DECREF(&FastLMType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
