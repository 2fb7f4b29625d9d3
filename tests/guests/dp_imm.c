/* Data processing, immediate: add/sub (with and without flags, shifted imm12, SP forms),
   logical immediates, move wide, ADR/ADRP, bitfield moves and their aliases, EXTR. */
#include "itest.h"

static void addsub(void)
{
    T1("add-x #0", "add %[d], %[a], #0", F_SOME);
    T1("add-x #4095", "add %[d], %[a], #4095", F_SOME);
    T1("add-x #1,lsl12", "add %[d], %[a], #1, lsl #12", F_SOME);
    T1("add-w #4095,lsl12", "add %w[d], %w[a], #4095, lsl #12", F_SOME);
    T1("adds-x #1", "adds %[d], %[a], #1", F_SOME);
    T1("adds-x #4095,lsl12", "adds %[d], %[a], #4095, lsl #12", F_SOME);
    T1("adds-w #1", "adds %w[d], %w[a], #1", F_SOME);
    T1("adds-w #0", "adds %w[d], %w[a], #0", F_SOME);
    T1("sub-x #1", "sub %[d], %[a], #1", F_SOME);
    T1("sub-w #4095", "sub %w[d], %w[a], #4095", F_SOME);
    T1("subs-x #1", "subs %[d], %[a], #1", F_SOME);
    T1("subs-x #0", "subs %[d], %[a], #0", F_SOME);
    T1("subs-w #1", "subs %w[d], %w[a], #1", F_SOME);
    T1("subs-w #2,lsl12", "subs %w[d], %w[a], #2, lsl #12", F_SOME);
    T1("cmp-x #0x7f", "mov %[d], #0\n\tcmp %[a], #0x7f", F_SOME);
    T1("cmn-x #1", "mov %[d], #0\n\tcmn %[a], #1", F_SOME);
    T1("cmn-w #1", "mov %[d], #0\n\tcmn %w[a], #1", F_SOME);
    /* Register 31 is SP here: move a value into SP and back (no memory access meanwhile). */
    T1("add-x sp,#16", "mov x9, sp\n\tmov sp, %[a]\n\tadd sp, sp, #16\n\tmov %[d], sp\n\tmov sp, x9", F_SOME);
    T1("sub-x d,sp,#1", "mov x9, sp\n\tmov sp, %[a]\n\tsub %[d], sp, #1\n\tmov sp, x9", F_SOME);
    T1("subs-x d,sp,#1", "mov x9, sp\n\tmov sp, %[a]\n\tsubs %[d], sp, #1\n\tmov sp, x9", F_SOME);
    T1("add-w wsp,#3", "mov x9, sp\n\tmov sp, %[a]\n\tadd wsp, wsp, #3\n\tmov %[d], sp\n\tmov sp, x9", F_SOME);
}

static void logical(void)
{
    T1("and-x #0xff", "and %[d], %[a], #0xff", F_SOME);
    T1("and-x #0x5555..", "and %[d], %[a], #0x5555555555555555", F_SOME);
    T1("and-x #0xffffffff00000000", "and %[d], %[a], #0xffffffff00000000", F_SOME);
    T1("orr-x #0x8000000000000000", "orr %[d], %[a], #0x8000000000000000", F_SOME);
    T1("orr-x #0x0f0f..", "orr %[d], %[a], #0x0f0f0f0f0f0f0f0f", F_SOME);
    T1("orr-x #0xe0000000000001ff", "orr %[d], %[a], #0xe0000000000001ff", F_SOME);
    T1("eor-x #0x7fffffffffffffff", "eor %[d], %[a], #0x7fffffffffffffff", F_SOME);
    T1("eor-x #0x0000ffff0000ffff", "eor %[d], %[a], #0x0000ffff0000ffff", F_SOME);
    T1("ands-x #1", "ands %[d], %[a], #1", F_SOME);
    T1("ands-x #0xfffffffffffffffe", "ands %[d], %[a], #0xfffffffffffffffe", F_SOME);
    T1("ands-x #0x8000000000000000", "ands %[d], %[a], #0x8000000000000000", F_SOME);
    T1("tst-x #0x3c", "mov %[d], #0\n\ttst %[a], #0x3c", F_SOME);
    T1("and-w #0xff", "and %w[d], %w[a], #0xff", F_SOME);
    T1("orr-w #0x80000001", "orr %w[d], %w[a], #0x80000001", F_SOME);
    T1("eor-w #0x55555555", "eor %w[d], %w[a], #0x55555555", F_SOME);
    T1("ands-w #0x80000000", "ands %w[d], %w[a], #0x80000000", F_SOME);
    T1("ands-w #0xfffffffe", "ands %w[d], %w[a], #0xfffffffe", F_SOME);
    T1("mov-x bitmask", "mov %[d], #0x00ff00ff00ff00ff\n\teor %[d], %[d], %[a]", F_SOME);
    T1("orr-x sp,#", "mov x9, sp\n\torr sp, %[a], #0xf0\n\tmov %[d], sp\n\tmov sp, x9", F_SOME);
}

static void movewide(void)
{
    T1("movz-x hw0", "movz %[d], #0xbeef\n\tadd %[d], %[d], %[a]", F_SOME);
    T1("movz-x hw3", "movz %[d], #0xbeef, lsl #48\n\tadd %[d], %[d], %[a]", F_SOME);
    T1("movn-x hw0", "movn %[d], #0x1234\n\tadd %[d], %[d], %[a]", F_SOME);
    T1("movn-x hw2", "movn %[d], #0xffff, lsl #32\n\tadd %[d], %[d], %[a]", F_SOME);
    T1("movz-w hw1", "movz %w[d], #0x8001, lsl #16\n\tadd %[d], %[d], %[a]", F_SOME);
    T1("movn-w hw0", "movn %w[d], #0\n\tadd %[d], %[d], %[a]", F_SOME);
    T1("movn-w hw1", "movn %w[d], #0x7fff, lsl #16\n\tadd %[d], %[d], %[a]", F_SOME);
    T1D("movk-x hw0", "movk %[d], #0xa5a5", F_SOME);
    T1D("movk-x hw1", "movk %[d], #0x1234, lsl #16", F_SOME);
    T1D("movk-x hw2", "movk %[d], #0xffff, lsl #32", F_SOME);
    T1D("movk-x hw3", "movk %[d], #0, lsl #48", F_SOME);
    T1D("movk-w hw0", "movk %w[d], #0x5a5a", F_SOME);
    T1D("movk-w hw1", "movk %w[d], #0xffff, lsl #16", F_SOME);
}


static void pcrel(void)
{
    /* The image is at the same address under every emulator, so absolute results compare. */
    uint64_t h = 0, d;
    __asm__ volatile("adr %0, ." : "=r"(d));
    h = mix(h, d);
    __asm__ volatile("adr %0, .+1048575" : "=r"(d));
    h = mix(h, d);
    __asm__ volatile("adr %0, .-1048576" : "=r"(d));
    h = mix(h, d);
    __asm__ volatile("adr %0, .+3" : "=r"(d));
    h = mix(h, d);
    __asm__ volatile("adrp %0, ." : "=r"(d));
    h = mix(h, d);
    __asm__ volatile("adrp %0, .+0x12345000" : "=r"(d));
    h = mix(h, d);
    __asm__ volatile("adrp %0, .-0x40000000" : "=r"(d));
    h = mix(h, d);
    __asm__ volatile("adrp %0, __image_start" : "=r"(d));
    h = mix(h, d);
    put_kv("adr/adrp", h);
}

static void bitfield(void)
{
    T1("lsl-x #1", "lsl %[d], %[a], #1", F_SOME);
    T1("lsl-x #63", "lsl %[d], %[a], #63", F_SOME);
    T1("lsr-x #1", "lsr %[d], %[a], #1", F_SOME);
    T1("lsr-x #63", "lsr %[d], %[a], #63", F_SOME);
    T1("asr-x #1", "asr %[d], %[a], #1", F_SOME);
    T1("asr-x #63", "asr %[d], %[a], #63", F_SOME);
    T1("lsl-w #31", "lsl %w[d], %w[a], #31", F_SOME);
    T1("lsr-w #31", "lsr %w[d], %w[a], #31", F_SOME);
    T1("asr-w #31", "asr %w[d], %w[a], #31", F_SOME);
    T1("asr-w #1", "asr %w[d], %w[a], #1", F_SOME);
    T1("sxtb-x", "sxtb %[d], %w[a]", F_SOME);
    T1("sxth-x", "sxth %[d], %w[a]", F_SOME);
    T1("sxtw-x", "sxtw %[d], %w[a]", F_SOME);
    T1("sxtb-w", "sxtb %w[d], %w[a]", F_SOME);
    T1("sxth-w", "sxth %w[d], %w[a]", F_SOME);
    T1("uxtb-w", "uxtb %w[d], %w[a]", F_SOME);
    T1("uxth-w", "uxth %w[d], %w[a]", F_SOME);
    T1("ubfx-x #4,#8", "ubfx %[d], %[a], #4, #8", F_SOME);
    T1("ubfx-x #32,#32", "ubfx %[d], %[a], #32, #32", F_SOME);
    T1("sbfx-x #60,#4", "sbfx %[d], %[a], #60, #4", F_SOME);
    T1("sbfx-x #7,#1", "sbfx %[d], %[a], #7, #1", F_SOME);
    T1("sbfx-w #3,#29", "sbfx %w[d], %w[a], #3, #29", F_SOME);
    T1("ubfiz-x #8,#16", "ubfiz %[d], %[a], #8, #16", F_SOME);
    T1("sbfiz-x #62,#2", "sbfiz %[d], %[a], #62, #2", F_SOME);
    T1("sbfiz-w #4,#8", "sbfiz %w[d], %w[a], #4, #8", F_SOME);
    T1D("bfi-x #8,#16", "bfi %[d], %[a], #8, #16", F_SOME);
    T1D("bfi-x #63,#1", "bfi %[d], %[a], #63, #1", F_SOME);
    T1D("bfxil-x #3,#7", "bfxil %[d], %[a], #3, #7", F_SOME);
    T1D("bfxil-x #0,#64", "bfxil %[d], %[a], #0, #64", F_SOME);
    T1D("bfi-w #28,#4", "bfi %w[d], %w[a], #28, #4", F_SOME);
    T1D("bfxil-w #16,#16", "bfxil %w[d], %w[a], #16, #16", F_SOME);
    T1D("bfm-x xzr (bfc)", "bfm %[d], xzr, #60, #7", F_SOME);
    T1("sbfm-x #5,#3", "sbfm %[d], %[a], #5, #3", F_SOME);
    T1("ubfm-x #63,#62", "ubfm %[d], %[a], #63, #62", F_SOME);
    T1D("bfm-x #10,#20", "bfm %[d], %[a], #10, #20", F_SOME);
    T1D("bfm-w #31,#0", "bfm %w[d], %w[a], #31, #0", F_SOME);
    T1("ubfm-w #17,#9", "ubfm %w[d], %w[a], #17, #9", F_SOME);
}

static void extract(void)
{
    T2("extr-x #0", "extr %[d], %[a], %[b], #0", F_SOME);
    T2("extr-x #1", "extr %[d], %[a], %[b], #1", F_SOME);
    T2("extr-x #32", "extr %[d], %[a], %[b], #32", F_SOME);
    T2("extr-x #63", "extr %[d], %[a], %[b], #63", F_SOME);
    T2("extr-w #0", "extr %w[d], %w[a], %w[b], #0", F_SOME);
    T2("extr-w #1", "extr %w[d], %w[a], %w[b], #1", F_SOME);
    T2("extr-w #31", "extr %w[d], %w[a], %w[b], #31", F_SOME);
    T1("ror-x #13", "ror %[d], %[a], #13", F_SOME);
    T1("ror-w #5", "ror %w[d], %w[a], #5", F_SOME);
}

int main(void)
{
    puts("dp_imm: start\n");
    addsub();
    logical();
    movewide();
    pcrel();
    bitfield();
    extract();
    puts("dp_imm: done\n");
    return 0;
}
