/*
 * unspin._fastlm: the trigram language model's probabilities without the Python
 * round trip per call.
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
#define MEMO_BITS 20
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
    int rc = PyDict_SetItem(self->words, word, entry);
    Py_DECREF(entry);
    if (rc < 0)
        return -1;
    out->wid = wid;
    out->uni = uni;
    return 0;
}

/* log10 P(word | prev2 prev1) as LanguageModel.logprob computes it (None: no word).
 * The answer depends on the words' ids only (unknown words share one id and are
 * treated alike), so it is memoised by them. */
static int
logprob(FastLM *self, PyObject *word, PyObject *prev1, PyObject *prev2, double *out)
{
    WordInfo w, p1, p2;
    int32 hist[2], n_used;
    if (word_info(self, word, &w) < 0)
        return -1;
    int32 id1 = NO_WORD, id2 = NO_WORD;
    if (prev1 != Py_None) {
        if (word_info(self, prev1, &p1) < 0)
            return -1;
        id1 = p1.wid;
        if (prev2 != Py_None) {
            if (word_info(self, prev2, &p2) < 0)
                return -1;
            id2 = p2.wid;
        }
    }
    uint32_t h = ((uint32_t)w.wid * 2654435761u) ^ ((uint32_t)id1 * 2246822519u) ^ ((uint32_t)id2 * 3266489917u);
    struct memo_entry *e = &self->memo[(h ^ (h >> MEMO_BITS)) & (MEMO_SIZE - 1)];
    if (e->w == w.wid && e->p1 == id1 && e->p2 == id2) {
        *out = e->value;
        return 0;
    }
    e->w = w.wid;
    e->p1 = id1;
    e->p2 = id2;
    if (w.uni <= self->known_above)
        e->value = self->oov_logprob;
    else if (prev1 == Py_None || p1.uni <= self->known_above)
        e->value = w.uni;
    else {
        hist[0] = p1.wid;
        if (prev2 == Py_None || p2.uni <= self->known_above)
            e->value = (double)self->ng_prob(self->model, w.wid, hist, 1, &n_used) * self->ln_base;
        else {
            hist[1] = p2.wid;
            e->value = (double)self->ng_prob(self->model, w.wid, hist, 2, &n_used) * self->ln_base;
        }
    }
    *out = e->value;
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

static PyObject *
FastLM_logprob(FastLM *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!ready(self))
        return NULL;
    if (nargs < 1 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "logprob(word, prev1=None, prev2=None)");
        return NULL;
    }
    double v;
    if (logprob(self, args[0], nargs > 1 ? args[1] : Py_None, nargs > 2 ? args[2] : Py_None, &v) < 0)
        return NULL;
    return PyFloat_FromDouble(v);
}

static PyObject *
FastLM_score(FastLM *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!ready(self))
        return NULL;
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "score(words, history=(None, None))");
        return NULL;
    }
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
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    double total = 0.0, v;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (logprob(self, items[i], p1, p2, &v) < 0) {
            Py_DECREF(seq);
            return NULL;
        }
        total += v;
        p2 = p1;
        p1 = items[i];
    }
    Py_DECREF(seq);
    return PyFloat_FromDouble(total);
}

static PyObject *
FastLM_unigram(FastLM *self, PyObject *word)
{
    WordInfo w;
    if (!ready(self) || word_info(self, word, &w) < 0)
        return NULL;
    return PyFloat_FromDouble(w.uni);
}

static PyObject *
FastLM_known(FastLM *self, PyObject *word)
{
    WordInfo w;
    if (!ready(self) || word_info(self, word, &w) < 0)
        return NULL;
    return PyBool_FromLong(w.uni > self->known_above);
}

static PyMethodDef FastLM_methods[] = {
    {"logprob", (PyCFunction)(void (*)(void))FastLM_logprob, METH_FASTCALL,
     "logprob(word, prev1=None, prev2=None) -> log10 P(word | prev2 prev1)"},
    {"score", (PyCFunction)(void (*)(void))FastLM_score, METH_FASTCALL,
     "score(words, history=(None, None)) -> sum of log10 probabilities of words after history"},
    {"unigram", (PyCFunction)FastLM_unigram, METH_O, "unigram(word) -> raw unigram log10 probability"},
    {"known", (PyCFunction)FastLM_known, METH_O, "known(word) -> whether the model knows word"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FastLMType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "unspin._fastlm.FastLM",
    .tp_basicsize = sizeof(FastLM),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "FastLM(library, model, ln_base, oov_logprob, known_above): the trigram model in C",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)FastLM_init,
    .tp_dealloc = (destructor)FastLM_dealloc,
    .tp_methods = FastLM_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastlm", "The trigram language model's probabilities in C.", -1, NULL,
};

PyMODINIT_FUNC
PyInit__fastlm(void)
{
    if (PyType_Ready(&FastLMType) < 0)
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
