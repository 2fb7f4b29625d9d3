# IEEE 754 arithmetic with Arm's rules (the FP* functions of the Arm ARM's shared pseudocode).
#
# The host FPU does the correctly rounded core of add, sub, mul, div, sqrt and fused multiply-add,
# in the guest's rounding mode, and reports its exception flags. Everything where Arm differs from
# x86 or leaves IEEE a choice is done here explicitly:
#   - NaN propagation: signalling before quiet, first operand first, quieted; FPCR.DN gives the
#     default NaN (x86 returns a negative "indefinite" NaN and picks NaNs in another order);
#   - flush-to-zero (FPCR.FZ): denormal inputs become zero (IDC), tiny results become zero (UFC
#     only, no IXC);
#   - underflow is detected before rounding (x86 detects it after): a result that rounds up to the
#     smallest normal is tiny for Arm;
# Conversions, rounding to integral, and the estimates are done in integers (fp_round below).
#
# Values travel as bit patterns (uint64_t): single precision in the low 32 bits. Flags are
# gathered in a uint32_t with FPSR's bit layout and ORed into FPSR by the caller.

from libc.stdint cimport uint64_t

cdef extern from *:
    """
    #include <math.h>
    #include <string.h>
    #if defined(__x86_64__) || defined(__i386__)
    #include <xmmintrin.h>
    /* MXCSR: all exceptions masked, DAZ/FTZ off, rounding as Arm's FPCR.RMode (RN, RP, RM, RZ). */
    static const unsigned qp_csr_mode[4] = {0x1f80, 0x5f80, 0x3f80, 0x7f80};
    #define QP_FENV_BEGIN(mode) _mm_setcsr(qp_csr_mode[mode])
    /* x86 flags IE DE ZE OE UE PE -> Arm IOC DZC OFC UFC IXC (DE dropped). */
    #define QP_FENV_END(mode, fl) do { unsigned _x = _mm_getcsr(); \\
        *(fl) = (_x & 1) | ((_x >> 1) & 0x1e); if (mode) _mm_setcsr(0x1f80); } while (0)
    #else
    #include <fenv.h>
    static const int qp_fe_mode[4] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
    #define QP_FENV_BEGIN(mode) do { feclearexcept(FE_ALL_EXCEPT); fesetround(qp_fe_mode[mode]); } while (0)
    #define QP_FENV_END(mode, fl) do { int _x = fetestexcept(FE_ALL_EXCEPT); \\
        *(fl) = ((_x & FE_INVALID) ? 1 : 0) | ((_x & FE_DIVBYZERO) ? 2 : 0) | \\
                ((_x & FE_OVERFLOW) ? 4 : 0) | ((_x & FE_UNDERFLOW) ? 8 : 0) | \\
                ((_x & FE_INEXACT) ? 16 : 0); if (mode) fesetround(FE_TONEAREST); } while (0)
    #endif
    /* The barriers keep the compiler from moving the arithmetic across the mode/flag accesses. */
    #define QP_BAR(v) __asm__ volatile("" : "+x"(v))

    static inline double qp_u2d(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
    static inline uint64_t qp_d2u(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
    static inline float qp_u2f(uint64_t u) { uint32_t v = (uint32_t)u; float f; memcpy(&f, &v, 4); return f; }
    static inline uint64_t qp_f2u(float f) { uint32_t v; memcpy(&v, &f, 4); return v; }

    /* op: 0 add, 1 sub, 2 mul, 3 div, 4 sqrt (of a), 5 fma a*b+c. */
    static inline uint64_t qp_host64(int op, uint64_t ua, uint64_t ub, uint64_t uc, unsigned mode,
                                     unsigned *fl) {
        double a = qp_u2d(ua), b = qp_u2d(ub), c = qp_u2d(uc), r;
        QP_FENV_BEGIN(mode);
        QP_BAR(a); QP_BAR(b); QP_BAR(c);
        switch (op) {
        case 0: r = a + b; break;
        case 1: r = a - b; break;
        case 2: r = a * b; break;
        case 3: r = a / b; break;
        case 4: r = __builtin_sqrt(a); break;
        default: r = fma(a, b, c); break;
        }
        QP_BAR(r);
        QP_FENV_END(mode, fl);
        return qp_d2u(r);
    }
    static inline uint64_t qp_host32(int op, uint64_t ua, uint64_t ub, uint64_t uc, unsigned mode,
                                     unsigned *fl) {
        float a = qp_u2f(ua), b = qp_u2f(ub), c = qp_u2f(uc), r;
        QP_FENV_BEGIN(mode);
        QP_BAR(a); QP_BAR(b); QP_BAR(c);
        switch (op) {
        case 0: r = a + b; break;
        case 1: r = a - b; break;
        case 2: r = a * b; break;
        case 3: r = a / b; break;
        case 4: r = __builtin_sqrtf(a); break;
        default: r = fmaf(a, b, c); break;
        }
        QP_BAR(r);
        QP_FENV_END(mode, fl);
        return qp_f2u(r);
    }

    /* The fast path, for FPCR = round to nearest without flush-to-zero: the host computes in its
       default mode (which it is always left in), and exactness comes from an error-free
       transformation instead of reading MXCSR (which costs more than the arithmetic). Returns
       the Arm flags (0 or IXC), or -1 when the result is near the edges of the range (tiny, huge,
       zero, infinite, NaN) and the slow path must decide. */
    static int qp_has_fma = -1;
    #if defined(__x86_64__) && defined(__GNUC__)
    #define QP_FMA_TARGET __attribute__((target("fma")))
    static int qp_fma_ok(void) {
        if (qp_has_fma < 0) qp_has_fma = __builtin_cpu_supports("fma") ? 1 : 0;
        return qp_has_fma;
    }
    #else
    #define QP_FMA_TARGET
    static int qp_fma_ok(void) { return 1; }
    #endif
    QP_FMA_TARGET static int qp_fast64(int op, uint64_t ua, uint64_t ub, uint64_t *out) {
        double a = qp_u2d(ua), b = qp_u2d(ub), r, t;
        int inexact;
        switch (op) {
        case 0: r = a + b; t = r - a; inexact = ((a - (r - t)) + (b - t)) != 0; break;
        case 1: b = -b; r = a + b; t = r - a; inexact = ((a - (r - t)) + (b - t)) != 0; break;
        case 2: r = a * b; inexact = __builtin_fma(a, b, -r) != 0; break;
        case 3:
            /* The remainder a - r*b must not underflow. */
            if (((ub >> 52) & 0x7ff) <= 60 || ((ua >> 52) & 0x7ff) <= 120) return -1;
            r = a / b; inexact = __builtin_fma(-r, b, a) != 0; break;
        case 4:
            if (((ua >> 52) & 0x7ff) <= 200) return -1;
            r = __builtin_sqrt(a); inexact = __builtin_fma(-r, r, a) != 0; break;
        default: return -1;
        }
        uint64_t ur = qp_d2u(r);
        unsigned e = (unsigned)(ur >> 52) & 0x7ff;
        if (e <= 60 || e >= 0x7fe) return -1;
        *out = ur;
        return inexact ? 16 : 0;
    }
    QP_FMA_TARGET static int qp_fast32(int op, uint64_t ua, uint64_t ub, uint64_t *out) {
        float a = qp_u2f(ua), b = qp_u2f(ub), r, t;
        int inexact;
        switch (op) {
        case 0: r = a + b; t = r - a; inexact = ((a - (r - t)) + (b - t)) != 0; break;
        case 1: b = -b; r = a + b; t = r - a; inexact = ((a - (r - t)) + (b - t)) != 0; break;
        case 2: r = a * b; inexact = __builtin_fmaf(a, b, -r) != 0; break;
        case 3:
            if (((ub >> 23) & 0xff) <= 30 || ((ua >> 23) & 0xff) <= 60) return -1;
            r = a / b; inexact = __builtin_fmaf(-r, b, a) != 0; break;
        case 4:
            if (((ua >> 23) & 0xff) <= 60) return -1;
            r = __builtin_sqrtf(a); inexact = __builtin_fmaf(-r, r, a) != 0; break;
        default: return -1;
        }
        uint64_t ur = qp_f2u(r);
        unsigned e = (unsigned)(ur >> 23) & 0xff;
        if (e <= 30 || e >= 0xfe) return -1;
        *out = ur;
        return inexact ? 16 : 0;
    }
    static inline int qp_fast(int op, uint64_t a, uint64_t b, unsigned fmt, uint64_t *out) {
        if (!qp_fma_ok()) return -1;
        return fmt == 3 ? qp_fast64(op, a, b, out) : qp_fast32(op, a, b, out);
    }
    """
    int qp_fast(int op, uint64_t a, uint64_t b, unsigned fmt, uint64_t* out) nogil
    uint64_t qp_host64(int op, uint64_t a, uint64_t b, uint64_t c, unsigned mode, unsigned* fl) nogil
    uint64_t qp_host32(int op, uint64_t a, uint64_t b, uint64_t c, unsigned mode, unsigned* fl) nogil


cdef enum:
    HOP_ADD = 0
    HOP_SUB = 1
    HOP_MUL = 2
    HOP_DIV = 3
    HOP_SQRT = 4
    HOP_FMA = 5

# FPCR and FPSR bits.
cdef enum:
    FPCR_AHP = 1 << 26
    FPCR_DN = 1 << 25
    FPCR_FZ = 1 << 24
    FPCR_RMODE_SHIFT = 22
    FPSR_IOC = 1
    FPSR_DZC = 2
    FPSR_OFC = 4
    FPSR_UFC = 8
    FPSR_IXC = 16
    FPSR_IDC = 128
    FPSR_QC = 1 << 27

# Rounding modes, numbered as FPCR.RMode, plus ties-away for FRINTA/FCVTA* and round-to-odd.
cdef enum:
    RND_N = 0
    RND_P = 1
    RND_M = 2
    RND_Z = 3
    RND_A = 4
    RND_O = 6               # round to odd (FCVTXN)


# --- formats ---------------------------------------------------------------------------------
# fmt is the log2 of the size in bytes: 1 half, 2 single, 3 double.

cdef inline uint32_t fmt_ebits(uint32_t fmt) noexcept nogil:
    return 5 if fmt == 1 else (8 if fmt == 2 else 11)

cdef inline uint32_t fmt_fbits(uint32_t fmt) noexcept nogil:
    return 10 if fmt == 1 else (23 if fmt == 2 else 52)

cdef inline uint64_t fmt_sign(uint32_t fmt) noexcept nogil:
    return (<uint64_t>1) << ((8u << fmt) - 1)

cdef inline uint64_t fmt_exp_mask(uint32_t fmt) noexcept nogil:
    return ((<uint64_t>1 << fmt_ebits(fmt)) - 1) << fmt_fbits(fmt)

cdef inline uint64_t fmt_frac_mask(uint32_t fmt) noexcept nogil:
    return (<uint64_t>1 << fmt_fbits(fmt)) - 1

cdef inline uint64_t fmt_quiet(uint32_t fmt) noexcept nogil:
    return (<uint64_t>1) << (fmt_fbits(fmt) - 1)

cdef inline uint64_t fmt_default_nan(uint32_t fmt) noexcept nogil:
    return fmt_exp_mask(fmt) | fmt_quiet(fmt)

cdef inline uint64_t fmt_inf(uint32_t fmt, uint32_t sign) noexcept nogil:
    return fmt_exp_mask(fmt) | (fmt_sign(fmt) if sign else 0)

cdef inline uint64_t fmt_max_normal(uint32_t fmt, uint32_t sign) noexcept nogil:
    return (fmt_exp_mask(fmt) - (fmt_frac_mask(fmt) + 1)) | fmt_frac_mask(fmt) | (fmt_sign(fmt) if sign else 0)

cdef inline uint64_t fmt_min_normal(uint32_t fmt) noexcept nogil:
    return fmt_frac_mask(fmt) + 1

cdef inline bint fp_is_nan(uint64_t a, uint32_t fmt) noexcept nogil:
    return (a & ~fmt_sign(fmt)) > fmt_exp_mask(fmt)

cdef inline bint fp_is_snan(uint64_t a, uint32_t fmt) noexcept nogil:
    return fp_is_nan(a, fmt) and (a & fmt_quiet(fmt)) == 0

cdef inline bint fp_is_inf(uint64_t a, uint32_t fmt) noexcept nogil:
    return (a & ~fmt_sign(fmt)) == fmt_exp_mask(fmt)

cdef inline bint fp_is_zero(uint64_t a, uint32_t fmt) noexcept nogil:
    return (a & ~fmt_sign(fmt)) == 0

cdef inline bint fp_is_denormal(uint64_t a, uint32_t fmt) noexcept nogil:
    return (a & fmt_exp_mask(fmt)) == 0 and (a & fmt_frac_mask(fmt)) != 0

cdef inline uint32_t fp_sign(uint64_t a, uint32_t fmt) noexcept nogil:
    return (a & fmt_sign(fmt)) != 0


cdef inline uint64_t fp_flush_in(uint64_t a, uint32_t fmt, uint32_t fpcr, uint32_t* fl) noexcept nogil:
    # FPUnpack with FPCR.FZ: a denormal input reads as zero of its sign (IDC). Half precision is
    # never flushed here (FZ16 belongs to the half-precision arithmetic extension).
    if (fpcr & FPCR_FZ) and fmt != 1 and fp_is_denormal(a, fmt):
        fl[0] |= FPSR_IDC
        return a & fmt_sign(fmt)
    return a


cdef inline uint64_t fp_process_nan(uint64_t a, uint32_t fmt, uint32_t fpcr, uint32_t* fl) noexcept nogil:
    if (a & fmt_quiet(fmt)) == 0:
        fl[0] |= FPSR_IOC
    if fpcr & FPCR_DN:
        return fmt_default_nan(fmt)
    return a | fmt_quiet(fmt)


cdef inline uint64_t fp_process_nans(uint64_t a, uint64_t b, uint32_t fmt, uint32_t fpcr,
                                     uint32_t* fl) noexcept nogil:
    # One of a, b is a NaN: signalling first, then the first operand.
    if fp_is_snan(a, fmt):
        return fp_process_nan(a, fmt, fpcr, fl)
    if fp_is_snan(b, fmt):
        return fp_process_nan(b, fmt, fpcr, fl)
    if fp_is_nan(a, fmt):
        return fp_process_nan(a, fmt, fpcr, fl)
    return fp_process_nan(b, fmt, fpcr, fl)


cdef inline uint64_t fp_process_nans3(uint64_t a, uint64_t b, uint64_t c, uint32_t fmt,
                                      uint32_t fpcr, uint32_t* fl) noexcept nogil:
    if fp_is_snan(a, fmt):
        return fp_process_nan(a, fmt, fpcr, fl)
    if fp_is_snan(b, fmt):
        return fp_process_nan(b, fmt, fpcr, fl)
    if fp_is_snan(c, fmt):
        return fp_process_nan(c, fmt, fpcr, fl)
    if fp_is_nan(a, fmt):
        return fp_process_nan(a, fmt, fpcr, fl)
    if fp_is_nan(b, fmt):
        return fp_process_nan(b, fmt, fpcr, fl)
    return fp_process_nan(c, fmt, fpcr, fl)


cdef inline uint64_t fp_host(int op, uint64_t a, uint64_t b, uint64_t c, uint32_t fmt,
                             uint32_t mode, uint32_t* hf) noexcept nogil:
    if fmt == 3:
        return qp_host64(op, a, b, c, mode, hf)
    return qp_host32(op, a, b, c, mode, hf)


cdef uint64_t fp_host_result(int op, uint64_t a, uint64_t b, uint64_t c, uint32_t fmt,
                             uint32_t fpcr, uint32_t* fl) noexcept nogil:
    # The host's correctly rounded result of a non-NaN operation, turned into Arm's: default NaN
    # for invalid operations, underflow detected before rounding, and flush-to-zero of tiny
    # results.
    cdef uint32_t hf = 0, hz = 0
    cdef uint32_t mode = (fpcr >> FPCR_RMODE_SHIFT) & 3
    cdef uint64_t r = fp_host(op, a, b, c, fmt, mode, &hf)
    cdef uint64_t mag = r & ~fmt_sign(fmt)
    cdef bint tiny
    if mag > fmt_exp_mask(fmt):
        fl[0] |= hf
        return fmt_default_nan(fmt)
    if (hf & FPSR_IXC) and mag == fmt_min_normal(fmt) and not (hf & FPSR_UFC):
        # Rounded up to the smallest normal: tiny for Arm if the exact result was below it.
        if (fp_host(op, a, b, c, fmt, RND_Z, &hz) & ~fmt_sign(fmt)) < mag:
            hf |= FPSR_UFC
    if fpcr & FPCR_FZ:
        tiny = mag < fmt_min_normal(fmt) and (mag != 0 or (hf & FPSR_IXC))
        if tiny or (mag == fmt_min_normal(fmt) and (hf & FPSR_UFC)):
            fl[0] |= (hf & ~(FPSR_UFC | FPSR_IXC)) | FPSR_UFC
            return r & fmt_sign(fmt)
    fl[0] |= hf
    return r


cdef inline uint64_t fp_arith2(int op, uint64_t a, uint64_t b, uint32_t fmt, uint32_t fpcr,
                               uint32_t* fl) noexcept nogil:
    # FPAdd, FPSub, FPMul, FPDiv.
    cdef uint64_t r
    cdef int f
    if (fpcr & (FPCR_FZ | (3 << FPCR_RMODE_SHIFT))) == 0:
        f = qp_fast(op, a, b, fmt, &r)
        if f >= 0:
            fl[0] |= <uint32_t>f
            return r
    if fpcr & FPCR_FZ:
        a = fp_flush_in(a, fmt, fpcr, fl)
        b = fp_flush_in(b, fmt, fpcr, fl)
    if fp_is_nan(a, fmt) or fp_is_nan(b, fmt):
        return fp_process_nans(a, b, fmt, fpcr, fl)
    return fp_host_result(op, a, b, 0, fmt, fpcr, fl)


cdef inline uint64_t fp_sqrt(uint64_t a, uint32_t fmt, uint32_t fpcr, uint32_t* fl) noexcept nogil:
    cdef uint64_t r
    cdef int f
    if (fpcr & (FPCR_FZ | (3 << FPCR_RMODE_SHIFT))) == 0 and not (a & fmt_sign(fmt)):
        f = qp_fast(HOP_SQRT, a, 0, fmt, &r)
        if f >= 0:
            fl[0] |= <uint32_t>f
            return r
    if fpcr & FPCR_FZ:
        a = fp_flush_in(a, fmt, fpcr, fl)
    if fp_is_nan(a, fmt):
        return fp_process_nan(a, fmt, fpcr, fl)
    return fp_host_result(HOP_SQRT, a, 0, 0, fmt, fpcr, fl)


cdef inline uint64_t fp_muladd(uint64_t addend, uint64_t a, uint64_t b, uint32_t fmt, uint32_t fpcr,
                               uint32_t* fl) noexcept nogil:
    # FPMulAdd: addend + a * b with one rounding. A quiet NaN addend with inf * 0 is still an
    # invalid operation (default NaN).
    cdef uint64_t r
    if fpcr & FPCR_FZ:
        addend = fp_flush_in(addend, fmt, fpcr, fl)
        a = fp_flush_in(a, fmt, fpcr, fl)
        b = fp_flush_in(b, fmt, fpcr, fl)
    if fp_is_nan(addend, fmt) or fp_is_nan(a, fmt) or fp_is_nan(b, fmt):
        r = fp_process_nans3(addend, a, b, fmt, fpcr, fl)
        if fp_is_nan(addend, fmt) and not fp_is_snan(addend, fmt) and (
                (fp_is_inf(a, fmt) and fp_is_zero(b, fmt)) or (fp_is_zero(a, fmt) and fp_is_inf(b, fmt))):
            fl[0] |= FPSR_IOC
            return fmt_default_nan(fmt)
        return r
    return fp_host_result(HOP_FMA, a, b, addend, fmt, fpcr, fl)


cdef inline uint64_t fp_minmax(uint64_t a, uint64_t b, uint32_t fmt, bint is_max, bint numeric,
                               uint32_t fpcr, uint32_t* fl) noexcept nogil:
    # FPMax/FPMin, and FPMaxNum/FPMinNum (numeric) where one quiet NaN loses to a number.
    cdef uint32_t sa, sb
    cdef bint a_less
    if fpcr & FPCR_FZ:
        a = fp_flush_in(a, fmt, fpcr, fl)
        b = fp_flush_in(b, fmt, fpcr, fl)
    if numeric:
        if fp_is_nan(a, fmt) and not fp_is_snan(a, fmt) and not (fp_is_nan(b, fmt) and not fp_is_snan(b, fmt)):
            a = fmt_inf(fmt, 1 if is_max else 0)
        elif fp_is_nan(b, fmt) and not fp_is_snan(b, fmt) and not (fp_is_nan(a, fmt) and not fp_is_snan(a, fmt)):
            b = fmt_inf(fmt, 1 if is_max else 0)
    if fp_is_nan(a, fmt) or fp_is_nan(b, fmt):
        return fp_process_nans(a, b, fmt, fpcr, fl)
    sa = fp_sign(a, fmt)
    sb = fp_sign(b, fmt)
    if fp_is_zero(a, fmt) and fp_is_zero(b, fmt):
        if is_max:
            return a if (sa & sb) else (a & ~fmt_sign(fmt))
        return a if (sa | sb) == 0 else (a | fmt_sign(fmt))
    # Order the bit patterns as numbers.
    if sa != sb:
        a_less = sa == 1
    elif sa == 0:
        a_less = a < b
    else:
        a_less = a > b
    if is_max:
        return b if a_less else a
    return a if a_less else b


cdef inline uint32_t fp_compare(uint64_t a, uint64_t b, uint32_t fmt, bint signal_all,
                                uint32_t fpcr, uint32_t* fl) noexcept nogil:
    # FPCompare: NZCV for a compared with b (unordered 0011). Signalling NaNs always raise
    # Invalid; quiet ones only for FCMPE.
    cdef uint32_t sa, sb
    if fpcr & FPCR_FZ:
        a = fp_flush_in(a, fmt, fpcr, fl)
        b = fp_flush_in(b, fmt, fpcr, fl)
    if fp_is_nan(a, fmt) or fp_is_nan(b, fmt):
        if signal_all or fp_is_snan(a, fmt) or fp_is_snan(b, fmt):
            fl[0] |= FPSR_IOC
        return 0b0011
    if fp_is_zero(a, fmt) and fp_is_zero(b, fmt):
        return 0b0110
    if a == b:
        return 0b0110
    sa = fp_sign(a, fmt)
    sb = fp_sign(b, fmt)
    if sa != sb:
        return 0b1000 if sa else 0b0010
    if (a < b) != (sa == 1):
        return 0b1000
    return 0b0010


# --- rounding in integers (FPRound) ----------------------------------------------------------

cdef inline int clz64(uint64_t x) noexcept nogil:
    cdef int n = 0
    if x == 0:
        return 64
    while not (x & (<uint64_t>1 << 63)):
        x <<= 1
        n += 1
    return n


cdef uint64_t fp_round(uint32_t sign, int32_t exp, uint64_t mant, uint32_t fmt, uint32_t fpcr,
                       uint32_t mode, bint flush, uint32_t* fl) noexcept nogil:
    """The value (-1)^sign * mant * 2^exp (mant != 0) rounded to format fmt in `mode`, as Arm's
    FPRoundBase: tininess before rounding; `flush` applies FPCR.FZ to tiny results; half
    precision honours FPCR.AHP."""
    cdef int32_t F = fmt_fbits(fmt)
    cdef int32_t E = fmt_ebits(fmt)
    cdef int32_t emin = 2 - (1 << (E - 1))
    cdef int32_t msb = 63 - clz64(mant)
    cdef int32_t e = exp + msb                  # value = 1.xxx * 2^e
    cdef int32_t biased, sh
    cdef uint64_t int_mant, rem, half
    cdef bint gt_half, eq_half, inexact, round_up, ovf_inf
    cdef uint64_t sbit = fmt_sign(fmt) if sign else 0
    if flush and e < emin:
        fl[0] |= FPSR_UFC
        return sbit
    biased = e - emin + 1
    if biased < 0:
        biased = 0
    sh = msb - F
    if biased == 0:
        sh += emin - e
    if sh <= 0:
        int_mant = mant << (-sh)
        gt_half = eq_half = inexact = False
    elif sh < 64:
        int_mant = mant >> sh
        rem = mant & ((<uint64_t>1 << sh) - 1)
        half = <uint64_t>1 << (sh - 1)
        gt_half = rem > half
        eq_half = rem == half
        inexact = rem != 0
    elif sh == 64:
        int_mant = 0
        half = <uint64_t>1 << 63
        gt_half = mant > half
        eq_half = mant == half
        inexact = True
    else:
        int_mant = 0
        gt_half = eq_half = False
        inexact = True
    if biased == 0 and inexact:
        fl[0] |= FPSR_UFC
    if mode == RND_N:
        round_up = gt_half or (eq_half and (int_mant & 1))
        ovf_inf = True
    elif mode == RND_P:
        round_up = inexact and not sign
        ovf_inf = not sign
    elif mode == RND_M:
        round_up = inexact and sign
        ovf_inf = sign != 0
    elif mode == RND_A:
        round_up = gt_half or eq_half
        ovf_inf = True
    else:
        round_up = False
        ovf_inf = False
    if mode == RND_O and inexact:
        int_mant |= 1
    if round_up:
        int_mant += 1
        if int_mant == (<uint64_t>1 << F):
            biased = 1
        if int_mant == (<uint64_t>2 << F):
            biased += 1
            int_mant >>= 1
    if fmt != 1 or not (fpcr & FPCR_AHP):
        if biased >= (1 << E) - 1:
            fl[0] |= FPSR_OFC | FPSR_IXC
            return fmt_inf(fmt, sign) if ovf_inf else fmt_max_normal(fmt, sign)
    else:
        if biased >= (1 << E):
            fl[0] |= FPSR_IOC
            return sbit | 0x7fff
    if inexact:
        fl[0] |= FPSR_IXC
    return sbit | (<uint64_t>biased << F) | (int_mant & fmt_frac_mask(fmt))


cdef inline bint fp_unpack_finite(uint64_t a, uint32_t fmt, uint32_t* sign, int32_t* exp,
                                  uint64_t* mant) noexcept nogil:
    # A finite nonzero value as sign, mant * 2^exp. False for zero (sign still set).
    cdef uint32_t F = fmt_fbits(fmt)
    cdef uint64_t bexp = (a & fmt_exp_mask(fmt)) >> F
    cdef int32_t bias = (1 << (fmt_ebits(fmt) - 1)) - 1
    sign[0] = fp_sign(a, fmt)
    mant[0] = a & fmt_frac_mask(fmt)
    if bexp == 0:
        exp[0] = 1 - bias - <int32_t>F
    else:
        mant[0] |= <uint64_t>1 << F
        exp[0] = <int32_t>bexp - bias - <int32_t>F
    return mant[0] != 0


cdef uint64_t fp_convert(uint64_t a, uint32_t from_fmt, uint32_t to_fmt, uint32_t fpcr,
                         uint32_t* fl) noexcept nogil:
    """FPConvert between half (1), single (2) and double (3)."""
    cdef uint32_t sign
    cdef int32_t exp
    cdef uint64_t mant, frac
    cdef uint32_t mode = (fpcr >> FPCR_RMODE_SHIFT) & 3
    cdef bint ahp_in = from_fmt == 1 and (fpcr & FPCR_AHP) != 0
    cdef bint ahp_out = to_fmt == 1 and (fpcr & FPCR_AHP) != 0
    if from_fmt != 1:
        a = fp_flush_in(a, from_fmt, fpcr, fl)
    if not ahp_in and fp_is_nan(a, from_fmt):
        if ahp_out:
            fl[0] |= FPSR_IOC
            return fmt_sign(1) if fp_sign(a, from_fmt) else 0
        if fp_is_snan(a, from_fmt):
            fl[0] |= FPSR_IOC
        if fpcr & FPCR_DN:
            return fmt_default_nan(to_fmt)
        # FPConvertNaN: sign, quiet, and the top fraction bits carried across.
        frac = a & fmt_frac_mask(from_fmt)
        if fmt_fbits(from_fmt) > fmt_fbits(to_fmt):
            frac >>= fmt_fbits(from_fmt) - fmt_fbits(to_fmt)
        else:
            frac <<= fmt_fbits(to_fmt) - fmt_fbits(from_fmt)
        return (fmt_sign(to_fmt) if fp_sign(a, from_fmt) else 0) | fmt_default_nan(to_fmt) | frac
    if not ahp_in and fp_is_inf(a, from_fmt):
        if ahp_out:
            fl[0] |= FPSR_IOC
            return (fmt_sign(1) if fp_sign(a, from_fmt) else 0) | 0x7fff
        return fmt_inf(to_fmt, fp_sign(a, from_fmt))
    if ahp_in and (a & 0x7c00) == 0x7c00:
        # Alternative half precision: the top exponent is an ordinary one.
        sign = fp_sign(a, 1)
        mant = (a & 0x3ff) | 0x400
        exp = 16 - 10
    elif not fp_unpack_finite(a, from_fmt, &sign, &exp, &mant):
        return fmt_sign(to_fmt) if sign else 0
    return fp_round(sign, exp, mant, to_fmt, fpcr, mode, to_fmt != 1 and (fpcr & FPCR_FZ) != 0, fl)


cdef bint fp_round_int_parts(uint64_t a, uint32_t fmt, uint32_t mode, uint64_t* mag,
                             uint32_t* sign, bint* inexact, bint* huge) noexcept nogil:
    # Round a finite value to an integer: magnitude in mag (valid when not huge: |v| < 2^64).
    cdef int32_t exp
    cdef uint64_t mant, rem, half, ip
    cdef bint gt_half, eq_half, up
    inexact[0] = False
    huge[0] = False
    if not fp_unpack_finite(a, fmt, sign, &exp, &mant):
        mag[0] = 0
        return True
    if exp >= 0:
        if exp + (63 - clz64(mant)) >= 64:
            huge[0] = True
            mag[0] = 0
            return True
        mag[0] = mant << exp
        return True
    if -exp >= 64:
        ip = 0
        rem = 1
        gt_half = False
        eq_half = False
        if -exp == 64:
            half = <uint64_t>1 << 63
            gt_half = mant > half
            eq_half = mant == half
    else:
        ip = mant >> (-exp)
        rem = mant & ((<uint64_t>1 << (-exp)) - 1)
        half = <uint64_t>1 << (-exp - 1)
        gt_half = rem > half
        eq_half = rem == half
    inexact[0] = rem != 0
    if mode == RND_N:
        up = gt_half or (eq_half and (ip & 1))
    elif mode == RND_A:
        up = gt_half or eq_half
    elif mode == RND_P:
        up = rem != 0 and not sign[0]
    elif mode == RND_M:
        up = rem != 0 and sign[0]
    else:
        up = False
    if up:
        ip += 1
        if ip == 0:
            huge[0] = True
    mag[0] = ip
    return True


cdef uint64_t fp_round_int(uint64_t a, uint32_t fmt, uint32_t mode, bint exact, uint32_t fpcr,
                           uint32_t* fl) noexcept nogil:
    """FPRoundInt (FRINT*): round to an integral value in the same format. `exact` (FRINTX)
    raises Inexact when the value changes."""
    cdef uint64_t mag
    cdef uint32_t sign
    cdef bint inexact, huge
    cdef int32_t F = fmt_fbits(fmt)
    cdef int32_t bias = (1 << (fmt_ebits(fmt) - 1)) - 1
    cdef int32_t e
    a = fp_flush_in(a, fmt, fpcr, fl)
    if fp_is_nan(a, fmt):
        return fp_process_nan(a, fmt, fpcr, fl)
    if fp_is_inf(a, fmt) or fp_is_zero(a, fmt):
        return a
    if ((a & fmt_exp_mask(fmt)) >> F) >= <uint64_t>(bias + F):
        return a                            # already integral
    fp_round_int_parts(a, fmt, mode, &mag, &sign, &inexact, &huge)
    if inexact and exact:
        fl[0] |= FPSR_IXC
    if mag == 0:
        return fmt_sign(fmt) if sign else 0
    # mag < 2^F+1, exactly representable.
    e = 63 - clz64(mag)
    return (fmt_sign(fmt) if sign else 0) | (<uint64_t>(e + bias) << F) | \
        ((mag << (F - e)) & fmt_frac_mask(fmt))


cdef uint64_t fp_to_fixed(uint64_t a, uint32_t fmt, uint32_t fbits, bint is_unsigned,
                          uint32_t width, uint32_t mode, uint32_t fpcr, uint32_t* fl) noexcept nogil:
    """FPToFixed: the value times 2^fbits rounded in `mode` to a `width`-bit integer, saturating
    (Invalid on saturation and for NaN, which gives 0)."""
    cdef uint64_t mag, limit
    cdef uint32_t sign
    cdef bint inexact, huge
    cdef uint32_t F = fmt_fbits(fmt)
    cdef uint64_t scaled
    cdef uint64_t e
    a = fp_flush_in(a, fmt, fpcr, fl)
    if fp_is_nan(a, fmt):
        fl[0] |= FPSR_IOC
        return 0
    sign = fp_sign(a, fmt)
    if fp_is_inf(a, fmt):
        huge = True
        mag = 0
        inexact = False
    else:
        # Scale by 2^fbits in the exponent (exact: no overflow to infinity can matter, the
        # result saturates anyway).
        scaled = a
        if fbits and not fp_is_zero(a, fmt):
            e = (a & fmt_exp_mask(fmt)) >> F
            if e == 0:
                # Denormal: renormalise through the integer path.
                return fp_to_fixed_slow(a, fmt, fbits, is_unsigned, width, mode, fl)
            e += fbits
            if e >= (<uint64_t>1 << fmt_ebits(fmt)) - 1:
                huge = True
                mag = 0
                inexact = False
                return fp_saturate(sign, is_unsigned, width, fl)
            scaled = (a & ~fmt_exp_mask(fmt)) | (e << F)
        fp_round_int_parts(scaled, fmt, mode, &mag, &sign, &inexact, &huge)
    if huge:
        return fp_saturate(sign, is_unsigned, width, fl)
    return fp_fixed_result(mag, sign, inexact, is_unsigned, width, fl)


cdef uint64_t fp_to_fixed_slow(uint64_t a, uint32_t fmt, uint32_t fbits, bint is_unsigned,
                               uint32_t width, uint32_t mode, uint32_t* fl) noexcept nogil:
    # A denormal times 2^fbits (fbits <= 64): still far below one, so it rounds to 0 or 1.
    cdef uint32_t sign = fp_sign(a, fmt)
    cdef bint up
    if mode == RND_P:
        up = not sign
    elif mode == RND_M:
        up = sign != 0
    else:
        up = False
    return fp_fixed_result(1 if up else 0, sign, True, is_unsigned, width, fl)


cdef inline uint64_t fp_saturate(uint32_t sign, bint is_unsigned, uint32_t width,
                                 uint32_t* fl) noexcept nogil:
    fl[0] |= FPSR_IOC
    if is_unsigned:
        return 0 if sign else (<uint64_t>0xffffffffffffffff >> (64 - width))
    if sign:
        return (<uint64_t>0xffffffffffffffff << (width - 1)) & (<uint64_t>0xffffffffffffffff >> (64 - width))
    return <uint64_t>0xffffffffffffffff >> (65 - width)


cdef inline uint64_t fp_fixed_result(uint64_t mag, uint32_t sign, bint inexact, bint is_unsigned,
                                     uint32_t width, uint32_t* fl) noexcept nogil:
    cdef uint64_t wmask = <uint64_t>0xffffffffffffffff >> (64 - width)
    if is_unsigned:
        if sign and mag != 0:
            return fp_saturate(sign, is_unsigned, width, fl)
        if mag > wmask:
            return fp_saturate(sign, is_unsigned, width, fl)
    else:
        if sign:
            if mag > (<uint64_t>1 << (width - 1)):
                return fp_saturate(sign, is_unsigned, width, fl)
            if inexact:
                fl[0] |= FPSR_IXC
            return (0 - mag) & wmask
        if mag >= (<uint64_t>1 << (width - 1)):
            return fp_saturate(sign, is_unsigned, width, fl)
    if inexact:
        fl[0] |= FPSR_IXC
    return mag


cdef uint64_t fixed_to_fp(uint64_t v, bint is_unsigned, uint32_t width, uint32_t fbits,
                          uint32_t fmt, uint32_t fpcr, uint32_t mode, uint32_t* fl) noexcept nogil:
    """FixedToFP: a `width`-bit integer over 2^fbits, rounded to fmt. Never tiny."""
    cdef uint32_t sign = 0
    cdef uint64_t wmask = <uint64_t>0xffffffffffffffff >> (64 - width)
    v &= wmask
    if not is_unsigned and (v >> (width - 1)) & 1:
        sign = 1
        v = (0 - v) & wmask
    if v == 0:
        return 0
    return fp_round(sign, -<int32_t>fbits, v, fmt, fpcr, mode, False, fl)


# --- estimates and steps ---------------------------------------------------------------------

cdef inline uint32_t recip_estimate(uint32_t a) noexcept nogil:
    # a in [256, 511] for [0.5, 1.0); the result in [256, 511] for [1.0, 2.0).
    a = a * 2 + 1
    return ((1u << 19) // a + 1) >> 1


cdef inline uint32_t recip_sqrt_estimate(uint32_t a) noexcept nogil:
    # a in [128, 511] for [0.25, 1.0); the result in [256, 511].
    cdef uint64_t b = 512
    cdef uint64_t aa
    if a < 256:
        aa = a * 2 + 1
    else:
        aa = ((a >> 1) << 1)
        aa = (aa + 1) * 2
    while aa * (b + 1) * (b + 1) < (<uint64_t>1 << 28):
        b += 1
    return <uint32_t>((b + 1) >> 1)


cdef uint64_t fp_recip_estimate(uint64_t a, uint32_t fmt, uint32_t fpcr, uint32_t* fl) noexcept nogil:
    cdef uint32_t sign
    cdef int32_t exp, result_exp
    cdef uint64_t fraction, est
    cdef uint32_t F = fmt_fbits(fmt)
    cdef uint32_t mode = (fpcr >> FPCR_RMODE_SHIFT) & 3
    cdef bint ovf_inf
    a = fp_flush_in(a, fmt, fpcr, fl)
    sign = fp_sign(a, fmt)
    if fp_is_nan(a, fmt):
        return fp_process_nan(a, fmt, fpcr, fl)
    if fp_is_inf(a, fmt):
        return fmt_sign(fmt) if sign else 0
    if fp_is_zero(a, fmt):
        fl[0] |= FPSR_DZC
        return fmt_inf(fmt, sign)
    exp = <int32_t>((a & fmt_exp_mask(fmt)) >> F)
    fraction = (a & fmt_frac_mask(fmt)) << (52 - F)
    # |value| < 2^-(bias+1): the reciprocal overflows.
    if exp == 0 and (fraction >> 50) == 0:
        if mode == RND_N:
            ovf_inf = True
        elif mode == RND_P:
            ovf_inf = not sign
        elif mode == RND_M:
            ovf_inf = sign != 0
        else:
            ovf_inf = False
        fl[0] |= FPSR_OFC | FPSR_IXC
        return fmt_inf(fmt, sign) if ovf_inf else fmt_max_normal(fmt, sign)
    if (fpcr & FPCR_FZ) and fmt != 1 and exp >= (1 << fmt_ebits(fmt)) - 3:
        # |value| >= 2^(bias-1): the reciprocal is tiny, flushed.
        fl[0] |= FPSR_UFC
        return fmt_sign(fmt) if sign else 0
    if exp == 0:
        if (fraction >> 51) & 1 == 0:
            exp = -1
            fraction = (fraction << 2) & ((<uint64_t>1 << 52) - 1)
        else:
            fraction = (fraction << 1) & ((<uint64_t>1 << 52) - 1)
    est = recip_estimate(<uint32_t>(256 | (fraction >> 44)))
    result_exp = 2 * ((1 << (fmt_ebits(fmt) - 1)) - 1) - 1 - exp
    fraction = (est & 0xff) << 44
    if result_exp == 0:
        fraction = (<uint64_t>1 << 51) | (fraction >> 1)
    elif result_exp == -1:
        fraction = (<uint64_t>1 << 50) | (fraction >> 2)
        result_exp = 0
    return (fmt_sign(fmt) if sign else 0) | (<uint64_t>result_exp << F) | (fraction >> (52 - F))


cdef uint64_t fp_rsqrt_estimate(uint64_t a, uint32_t fmt, uint32_t fpcr, uint32_t* fl) noexcept nogil:
    cdef uint32_t sign
    cdef int32_t exp, result_exp
    cdef uint64_t fraction, est, scaled
    cdef uint32_t F = fmt_fbits(fmt)
    a = fp_flush_in(a, fmt, fpcr, fl)
    sign = fp_sign(a, fmt)
    if fp_is_nan(a, fmt):
        return fp_process_nan(a, fmt, fpcr, fl)
    if fp_is_zero(a, fmt):
        fl[0] |= FPSR_DZC
        return fmt_inf(fmt, sign)
    if sign:
        fl[0] |= FPSR_IOC
        return fmt_default_nan(fmt)
    if fp_is_inf(a, fmt):
        return 0
    exp = <int32_t>((a & fmt_exp_mask(fmt)) >> F)
    fraction = (a & fmt_frac_mask(fmt)) << (52 - F)
    if exp == 0:
        while (fraction >> 51) & 1 == 0:
            fraction = (fraction << 1) & ((<uint64_t>1 << 52) - 1)
            exp -= 1
        fraction = (fraction << 1) & ((<uint64_t>1 << 52) - 1)
    if (exp & 1) == 0:
        scaled = 256 | (fraction >> 44)     # odd unbiased exponent: [0.5, 1.0)
    else:
        scaled = 128 | (fraction >> 45)     # even: [0.25, 0.5)
    if fmt == 1:
        result_exp = (44 - exp) // 2
    elif fmt == 2:
        result_exp = (380 - exp) // 2
    else:
        result_exp = (3068 - exp) // 2
    est = recip_sqrt_estimate(<uint32_t>scaled)
    return (<uint64_t>result_exp << F) | ((est & 0xff) << (F - 8))


cdef uint64_t fp_recip_step(uint64_t a, uint64_t b, uint32_t fmt, bint sqrt_step, uint32_t fpcr,
                            uint32_t* fl) noexcept nogil:
    """FRECPS: 2 - a*b; FRSQRTS: (3 - a*b) / 2; fused. inf * 0 gives 2.0 / 1.5."""
    cdef uint64_t na, r, one
    if fpcr & FPCR_FZ:
        a = fp_flush_in(a, fmt, fpcr, fl)
        b = fp_flush_in(b, fmt, fpcr, fl)
    na = a ^ fmt_sign(fmt)
    if fp_is_nan(na, fmt) or fp_is_nan(b, fmt):
        return fp_process_nans(na, b, fmt, fpcr, fl)
    if (fp_is_inf(a, fmt) and fp_is_zero(b, fmt)) or (fp_is_zero(a, fmt) and fp_is_inf(b, fmt)):
        if fmt == 3:
            return <uint64_t>0x3ff8000000000000 if sqrt_step else <uint64_t>0x4000000000000000
        return 0x3fc00000 if sqrt_step else 0x40000000
    if fp_is_inf(a, fmt) or fp_is_inf(b, fmt):
        return fmt_inf(fmt, fp_sign(na, fmt) ^ fp_sign(b, fmt))
    if not sqrt_step:
        return fp_host_result(HOP_FMA, na, b, <uint64_t>0x4000000000000000 if fmt == 3 else 0x40000000, fmt, fpcr, fl)
    # (3 - a*b) / 2 with one rounding: halve an operand whose exponent allows it exactly, giving
    # 1.5 - (a/2)*b; when neither does, a*b is tiny and halving the result is exact.
    one = <uint64_t>1 << fmt_fbits(fmt)
    if ((na & fmt_exp_mask(fmt)) >> fmt_fbits(fmt)) >= 2:
        na -= one
    elif ((b & fmt_exp_mask(fmt)) >> fmt_fbits(fmt)) >= 2:
        b -= one
    else:
        r = fp_host_result(HOP_FMA, na, b, <uint64_t>0x4008000000000000 if fmt == 3 else 0x40400000, fmt, fpcr, fl)
        return r - one
    return fp_host_result(HOP_FMA, na, b, <uint64_t>0x3ff8000000000000 if fmt == 3 else 0x3fc00000, fmt, fpcr, fl)


cdef uint64_t fp_recpx(uint64_t a, uint32_t fmt, uint32_t fpcr, uint32_t* fl) noexcept nogil:
    cdef uint64_t e
    a = fp_flush_in(a, fmt, fpcr, fl)
    if fp_is_nan(a, fmt):
        return fp_process_nan(a, fmt, fpcr, fl)
    e = a & fmt_exp_mask(fmt)
    if e == 0:
        return (a & fmt_sign(fmt)) | (fmt_exp_mask(fmt) - (fmt_frac_mask(fmt) + 1))
    return (a & fmt_sign(fmt)) | (~e & fmt_exp_mask(fmt))
