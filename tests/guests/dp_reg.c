/* Data processing, register: shifted and extended add/sub, logical, add/sub with carry,
   conditional compare and select for all sixteen conditions, one-source (CLZ, CLS, RBIT, REV),
   variable shifts, multiplies, divides, CRC32. */
#include "itest.h"

static void addsub_shifted(void)
{
    T2("add-x lsl0", "add %[d], %[a], %[b]", F_SOME);
    T2("add-x lsl63", "add %[d], %[a], %[b], lsl #63", F_SOME);
    T2("add-x lsr1", "add %[d], %[a], %[b], lsr #1", F_SOME);
    T2("add-x asr63", "add %[d], %[a], %[b], asr #63", F_SOME);
    T2("add-w asr31", "add %w[d], %w[a], %w[b], asr #31", F_SOME);
    T2("adds-x", "adds %[d], %[a], %[b]", F_SOME);
    T2("adds-x lsl1", "adds %[d], %[a], %[b], lsl #1", F_SOME);
    T2("adds-w", "adds %w[d], %w[a], %w[b]", F_SOME);
    T2("adds-w lsr31", "adds %w[d], %w[a], %w[b], lsr #31", F_SOME);
    T2("sub-x asr7", "sub %[d], %[a], %[b], asr #7", F_SOME);
    T2("sub-w lsl5", "sub %w[d], %w[a], %w[b], lsl #5", F_SOME);
    T2("subs-x", "subs %[d], %[a], %[b]", F_SOME);
    T2("subs-x lsr63", "subs %[d], %[a], %[b], lsr #63", F_SOME);
    T2("subs-w", "subs %w[d], %w[a], %w[b]", F_SOME);
    T2("subs-w asr1", "subs %w[d], %w[a], %w[b], asr #1", F_SOME);
    T2("cmp-x", "mov %[d], #0\n\tcmp %[a], %[b]", F_SOME);
    T2("cmn-w", "mov %[d], #0\n\tcmn %w[a], %w[b]", F_SOME);
    T1("neg-x", "neg %[d], %[a]", F_SOME);
    T1("negs-x", "negs %[d], %[a]", F_SOME);
    T1("negs-w lsl3", "negs %w[d], %w[a], lsl #3", F_SOME);
}

static void addsub_extended(void)
{
    T2("add-x uxtb", "add %[d], %[a], %w[b], uxtb", F_SOME);
    T2("add-x uxth #1", "add %[d], %[a], %w[b], uxth #1", F_SOME);
    T2("add-x uxtw #2", "add %[d], %[a], %w[b], uxtw #2", F_SOME);
    T2("add-x uxtx #3", "add %[d], %[a], %[b], uxtx #3", F_SOME);
    T2("add-x sxtb #4", "add %[d], %[a], %w[b], sxtb #4", F_SOME);
    T2("add-x sxth", "add %[d], %[a], %w[b], sxth", F_SOME);
    T2("add-x sxtw #1", "add %[d], %[a], %w[b], sxtw #1", F_SOME);
    T2("add-x sxtx #2", "add %[d], %[a], %[b], sxtx #2", F_SOME);
    T2("adds-x sxtw", "adds %[d], %[a], %w[b], sxtw", F_SOME);
    T2("adds-w uxtb #2", "adds %w[d], %w[a], %w[b], uxtb #2", F_SOME);
    T2("sub-x uxtw", "sub %[d], %[a], %w[b], uxtw", F_SOME);
    T2("sub-w sxth #4", "sub %w[d], %w[a], %w[b], sxth #4", F_SOME);
    T2("subs-x sxtb", "subs %[d], %[a], %w[b], sxtb", F_SOME);
    T2("subs-w uxth #1", "subs %w[d], %w[a], %w[b], uxth #1", F_SOME);
    T2("cmp-x sxtw #3", "mov %[d], #0\n\tcmp %[a], %w[b], sxtw #3", F_SOME);
    /* Register 31 is SP for Rd and Rn of the non-flag forms (LSL there means UXTX/UXTW). */
    T2("add-x sp,sp,lsl #2", "mov x9, sp\n\tmov sp, %[a]\n\tadd sp, sp, %[b], lsl #2\n\tmov %[d], sp\n\tmov sp, x9", F_SOME);
    T2("sub-x d,sp,uxtb", "mov x9, sp\n\tmov sp, %[a]\n\tsub %[d], sp, %w[b], uxtb\n\tmov sp, x9", F_SOME);
    T2("subs-x d,sp,sxtw", "mov x9, sp\n\tmov sp, %[a]\n\tsubs %[d], sp, %w[b], sxtw\n\tmov sp, x9", F_SOME);
    T2("add-w wsp,w,lsl #1", "mov x9, sp\n\tmov sp, %[a]\n\tadd wsp, wsp, %w[b], lsl #1\n\tmov %[d], sp\n\tmov sp, x9", F_SOME);
}

static void logical_shifted(void)
{
    T2("and-x", "and %[d], %[a], %[b]", F_SOME);
    T2("and-x ror7", "and %[d], %[a], %[b], ror #7", F_SOME);
    T2("bic-x lsl4", "bic %[d], %[a], %[b], lsl #4", F_SOME);
    T2("orr-x lsr63", "orr %[d], %[a], %[b], lsr #63", F_SOME);
    T2("orn-x asr9", "orn %[d], %[a], %[b], asr #9", F_SOME);
    T2("eor-x ror63", "eor %[d], %[a], %[b], ror #63", F_SOME);
    T2("eon-x", "eon %[d], %[a], %[b]", F_SOME);
    T2("ands-x", "ands %[d], %[a], %[b]", F_SOME);
    T2("ands-x asr1", "ands %[d], %[a], %[b], asr #1", F_SOME);
    T2("bics-x ror32", "bics %[d], %[a], %[b], ror #32", F_SOME);
    T2("and-w ror31", "and %w[d], %w[a], %w[b], ror #31", F_SOME);
    T2("orn-w", "orn %w[d], %w[a], %w[b]", F_SOME);
    T2("eon-w lsl3", "eon %w[d], %w[a], %w[b], lsl #3", F_SOME);
    T2("ands-w", "ands %w[d], %w[a], %w[b]", F_SOME);
    T2("bics-w asr31", "bics %w[d], %w[a], %w[b], asr #31", F_SOME);
    T2("tst-x lsl2", "mov %[d], #0\n\ttst %[a], %[b], lsl #2", F_SOME);
    T1("mvn-x", "mvn %[d], %[a]", F_SOME);
    T1("mvn-w ror3", "mvn %w[d], %w[a], ror #3", F_SOME);
    T1("mov-w", "mov %w[d], %w[a]", F_SOME);
}

static void carry(void)
{
    T2("adc-x", "adc %[d], %[a], %[b]", F_ALL);
    T2("adc-w", "adc %w[d], %w[a], %w[b]", F_ALL);
    T2("adcs-x", "adcs %[d], %[a], %[b]", F_ALL);
    T2("adcs-w", "adcs %w[d], %w[a], %w[b]", F_ALL);
    T2("sbc-x", "sbc %[d], %[a], %[b]", F_ALL);
    T2("sbc-w", "sbc %w[d], %w[a], %w[b]", F_ALL);
    T2("sbcs-x", "sbcs %[d], %[a], %[b]", F_ALL);
    T2("sbcs-w", "sbcs %w[d], %w[a], %w[b]", F_ALL);
    T1("ngc-x", "ngc %[d], %[a]", F_ALL);
    T1("ngcs-w", "ngcs %w[d], %w[a]", F_ALL);
}

#define CCMP_TESTS(cc) \
    T2("ccmp-x reg " #cc, "mov %[d], #0\n\tccmp %[a], %[b], #0xa, " #cc, F_ALL); \
    T1("ccmp-w imm " #cc, "mov %[d], #0\n\tccmp %w[a], #31, #0x5, " #cc, F_ALL); \
    T2("ccmn-w reg " #cc, "mov %[d], #0\n\tccmn %w[a], %w[b], #0x3, " #cc, F_ALL); \
    T1("ccmn-x imm " #cc, "mov %[d], #0\n\tccmn %[a], #1, #0xc, " #cc, F_ALL);

#define CSEL_TESTS(cc) \
    T2("csel-x " #cc, "csel %[d], %[a], %[b], " #cc, F_ALL); \
    T2("csinc-w " #cc, "csinc %w[d], %w[a], %w[b], " #cc, F_ALL); \
    T2("csinv-x " #cc, "csinv %[d], %[a], %[b], " #cc, F_ALL); \
    T2("csneg-x " #cc, "csneg %[d], %[a], %[b], " #cc, F_ALL); \
    T2("csneg-w " #cc, "csneg %w[d], %w[a], %w[b], " #cc, F_ALL);

static void conditional(void)
{
    ALL_CONDS(CCMP_TESTS)
    ALL_CONDS(CSEL_TESTS)
    T1("cset-x hi", "cset %[d], hi", F_ALL);
    T1("csetm-w lt", "csetm %w[d], lt", F_ALL);
    T1("cinc-x le", "cinc %[d], %[a], le", F_ALL);
    T1("cinv-w vs", "cinv %w[d], %w[a], vs", F_ALL);
    T1("cneg-x mi", "cneg %[d], %[a], mi", F_ALL);
}

static void one_source(void)
{
    T1("clz-x", "clz %[d], %[a]", F_SOME);
    T1("clz-w", "clz %w[d], %w[a]", F_SOME);
    T1("cls-x", "cls %[d], %[a]", F_SOME);
    T1("cls-w", "cls %w[d], %w[a]", F_SOME);
    T1("rbit-x", "rbit %[d], %[a]", F_SOME);
    T1("rbit-w", "rbit %w[d], %w[a]", F_SOME);
    T1("rev-x", "rev %[d], %[a]", F_SOME);
    T1("rev-w", "rev %w[d], %w[a]", F_SOME);
    T1("rev16-x", "rev16 %[d], %[a]", F_SOME);
    T1("rev16-w", "rev16 %w[d], %w[a]", F_SOME);
    T1("rev32-x", "rev32 %[d], %[a]", F_SOME);
}

static void two_source(void)
{
    T2("lslv-x", "lsl %[d], %[a], %[b]", F_SOME);
    T2("lsrv-x", "lsr %[d], %[a], %[b]", F_SOME);
    T2("asrv-x", "asr %[d], %[a], %[b]", F_SOME);
    T2("rorv-x", "ror %[d], %[a], %[b]", F_SOME);
    T2("lslv-w", "lsl %w[d], %w[a], %w[b]", F_SOME);
    T2("lsrv-w", "lsr %w[d], %w[a], %w[b]", F_SOME);
    T2("asrv-w", "asr %w[d], %w[a], %w[b]", F_SOME);
    T2("rorv-w", "ror %w[d], %w[a], %w[b]", F_SOME);
    T2("udiv-x", "udiv %[d], %[a], %[b]", F_SOME);
    T2("sdiv-x", "sdiv %[d], %[a], %[b]", F_SOME);
    T2("udiv-w", "udiv %w[d], %w[a], %w[b]", F_SOME);
    T2("sdiv-w", "sdiv %w[d], %w[a], %w[b]", F_SOME);
    T2("crc32b", "crc32b %w[d], %w[a], %w[b]", F_SOME);
    T2("crc32h", "crc32h %w[d], %w[a], %w[b]", F_SOME);
    T2("crc32w", "crc32w %w[d], %w[a], %w[b]", F_SOME);
    T2("crc32x", "crc32x %w[d], %w[a], %[b]", F_SOME);
    T2("crc32cb", "crc32cb %w[d], %w[a], %w[b]", F_SOME);
    T2("crc32ch", "crc32ch %w[d], %w[a], %w[b]", F_SOME);
    T2("crc32cw", "crc32cw %w[d], %w[a], %w[b]", F_SOME);
    T2("crc32cx", "crc32cx %w[d], %w[a], %[b]", F_SOME);
}

static void multiply(void)
{
    T3("madd-x", "madd %[d], %[a], %[b], %[c]", F_SOME);
    T3("madd-w", "madd %w[d], %w[a], %w[b], %w[c]", F_SOME);
    T3("msub-x", "msub %[d], %[a], %[b], %[c]", F_SOME);
    T3("msub-w", "msub %w[d], %w[a], %w[b], %w[c]", F_SOME);
    T2("mul-x", "mul %[d], %[a], %[b]", F_SOME);
    T2("mneg-w", "mneg %w[d], %w[a], %w[b]", F_SOME);
    T3("smaddl", "smaddl %[d], %w[a], %w[b], %[c]", F_SOME);
    T3("smsubl", "smsubl %[d], %w[a], %w[b], %[c]", F_SOME);
    T3("umaddl", "umaddl %[d], %w[a], %w[b], %[c]", F_SOME);
    T3("umsubl", "umsubl %[d], %w[a], %w[b], %[c]", F_SOME);
    T2("smull", "smull %[d], %w[a], %w[b]", F_SOME);
    T2("umull", "umull %[d], %w[a], %w[b]", F_SOME);
    T2("smulh", "smulh %[d], %[a], %[b]", F_SOME);
    T2("umulh", "umulh %[d], %[a], %[b]", F_SOME);
}

int main(void)
{
    puts("dp_reg: start\n");
    addsub_shifted();
    addsub_extended();
    logical_shifted();
    carry();
    conditional();
    one_source();
    two_source();
    multiply();
    puts("dp_reg: done\n");
    return 0;
}
