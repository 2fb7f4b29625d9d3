"""Which capstone mnemonics each qemu_py handler may show up as.

HANDLERS maps a handler name (qemu_py._core.decode(word)[0], named after the Arm ARM encoding)
to the capstone 5 mnemonics of the instructions it executes, aliases included (capstone prints
the preferred alias: `cmp` for SUBS with Rd = ZR, `lsl` for UBFM, `mov` for ORR, ...).

An entry may carry a register width, "ldr w" or "ldr x": it then only matches when capstone's
first operand is a W or an X register (so LDR_W and LDR_X, 32 and 64-bit forms, stay apart).
B.cond and BC.cond are normalised to "b.cond" and "bc.cond".

UNDEF_OK lists mnemonics capstone decodes but qemu_py rightly leaves undefined: instructions of
architecture features the CPU models don't have, debug-state-only instructions, and SYSL (no
system instruction is allocated in its space).
"""

ORDERS = ("", "a", "l", "al")
SIZES = ("", "b", "h")


def _lse(op, store_alias=True):
    names = [f"{op}{o}{s}" for o in ORDERS for s in SIZES]
    if store_alias:                       # ST<op>{L}: LD<op> with Rt = ZR and no acquire
        names += [f"st{op[2:]}{o}{s}" for o in ("", "l") for s in SIZES]
    return names


_HINTS = ["nop", "yield", "wfe", "wfi", "sev", "sevl", "hint", "dgh", "esb", "psb", "tsb",
          "csdb", "bti", "clrbhb", "xpaclri", "pacia1716", "pacib1716", "autia1716",
          "autib1716", "paciaz", "paciasp", "pacibz", "pacibsp", "autiaz", "autiasp", "autibz",
          "autibsp", "dmb", "dsb", "ssbb", "pssbb",
          "dfb"]   # capstone's name for DSB with CRm = 0b1100 (an Armv8-R barrier)

HANDLERS = {
    # --- branches, exception generation, system ------------------------------------------
    "B": ["b"], "BL": ["bl"], "BR": ["br"], "BLR": ["blr"], "RET": ["ret"],
    "B_cond": ["b.cond"], "CBZ": ["cbz"], "CBNZ": ["cbnz"], "TBZ": ["tbz"], "TBNZ": ["tbnz"],
    "SVC": ["svc"], "HVC": ["hvc"], "SMC": ["smc"], "BRK": ["brk"], "HLT": ["hlt"],
    "ERET": ["eret"],
    # Hints execute as NOP (PAC and BTI hints too: those features are absent), and so do
    # DMB/DSB and the prefetches.
    "NOP": _HINTS + ["prfm", "prfum"],
    "WFI": ["wfi"], "WFE": ["wfe"], "ISB": ["isb"], "CLREX": ["clrex"],
    "MRS": ["mrs"], "MSR": ["msr"], "MSR_SPSel": ["msr"], "MSR_DAIFSet": ["msr"],
    "MSR_DAIFClr": ["msr"],
    "SYS": ["sys", "dc", "ic", "at", "tlbi", "cfp", "dvp", "cpp", "cosp", "brb", "trcit"],

    # --- data processing, immediate ------------------------------------------------------
    "ADR": ["adr"], "ADRP": ["adrp"],
    "MOVZ": ["movz", "mov"], "MOVN": ["movn", "mov"], "MOVK": ["movk"],
    "ADD_imm": ["add", "mov"], "SUB_imm": ["sub"],
    "ADDS_imm": ["adds x", "cmn x"], "ADDS_imm32": ["adds w", "cmn w"],
    "SUBS_imm": ["subs x", "cmp x"], "SUBS_imm32": ["subs w", "cmp w"],
    "AND_imm": ["and"], "ORR_imm": ["orr", "mov"], "EOR_imm": ["eor"], "ANDS_imm": ["ands", "tst"],
    "SBFM": ["sbfm", "asr", "sbfx", "sbfiz", "sxtb", "sxth", "sxtw"],
    "UBFM": ["ubfm", "lsl", "lsr", "ubfx", "ubfiz", "uxtb", "uxth"],
    "BFM": ["bfm", "bfi", "bfxil", "bfc"],
    "EXTR": ["extr x", "ror x"], "EXTR32": ["extr w", "ror w"],

    # --- data processing, register -------------------------------------------------------
    # _reg: no shift (or an extend that is a no-op); _shift: shifted or extended register.
    "AND_reg": ["and"], "AND_shift": ["and"], "BIC_reg": ["bic"], "BIC_shift": ["bic"],
    "ORR_reg": ["orr", "mov"], "ORR_shift": ["orr", "mov"],
    "ORN_reg": ["orn", "mvn"], "ORN_shift": ["orn", "mvn"],
    "EOR_reg": ["eor"], "EOR_shift": ["eor"], "EON_reg": ["eon"], "EON_shift": ["eon"],
    "ANDS_reg": ["ands", "tst"], "ANDS_shift": ["ands", "tst"],
    "BICS_reg": ["bics"], "BICS_shift": ["bics"],
    "ADD_reg": ["add", "mov"], "ADD_shift": ["add"],
    "SUB_reg": ["sub", "neg"], "SUB_shift": ["sub", "neg"],
    "ADDS_reg": ["adds x", "cmn x"], "ADDS_reg32": ["adds w", "cmn w"],
    "ADDS_shift": ["adds", "cmn"],
    "SUBS_reg": ["subs x", "cmp x", "negs x"], "SUBS_reg32": ["subs w", "cmp w", "negs w"],
    "SUBS_shift": ["subs", "cmp", "negs"],
    "ADC": ["adc"], "ADCS": ["adcs"], "SBC": ["sbc", "ngc"], "SBCS": ["sbcs", "ngcs"],
    "CCMP_reg": ["ccmp"], "CCMP_imm": ["ccmp"], "CCMN_reg": ["ccmn"], "CCMN_imm": ["ccmn"],
    "CSEL": ["csel"], "CSINC": ["csinc", "cset", "cinc"], "CSINV": ["csinv", "csetm", "cinv"],
    "CSNEG": ["csneg", "cneg"],
    "RBIT": ["rbit"], "REV16": ["rev16"], "REV32": ["rev32"], "REV": ["rev", "rev64"],
    "CLZ": ["clz"], "CLS": ["cls"],
    "UDIV": ["udiv"], "SDIV": ["sdiv"],
    "LSLV": ["lslv", "lsl"], "LSRV": ["lsrv", "lsr"], "ASRV": ["asrv", "asr"], "RORV": ["rorv", "ror"],
    "CRC32": ["crc32b", "crc32h", "crc32w", "crc32x"],
    "CRC32C": ["crc32cb", "crc32ch", "crc32cw", "crc32cx"],
    "MADD": ["madd", "mul"], "MSUB": ["msub", "mneg"],
    "SMADDL": ["smaddl", "smull"], "SMSUBL": ["smsubl", "smnegl"],
    "UMADDL": ["umaddl", "umull"], "UMSUBL": ["umsubl", "umnegl"],
    "SMULH": ["smulh"], "UMULH": ["umulh"],

    # --- loads and stores ----------------------------------------------------------------
    # One handler per access size and addressing mode; sign-extending loads share the size's
    # handlers, unscaled (LDUR) forms the _imm ones, literals LDR_W_imm / LDR_X_imm.
    **{f"LDRB_{m}": ["ldrb", "ldrsb", "ldurb", "ldursb"]
       for m in ("imm", "pre", "post", "reg", "uxtw", "sxtw")},
    **{f"LDRH_{m}": ["ldrh", "ldrsh", "ldurh", "ldursh"]
       for m in ("imm", "pre", "post", "reg", "uxtw", "sxtw")},
    **{f"LDR_W_{m}": ["ldr w", "ldur w", "ldrsw", "ldursw"]
       for m in ("imm", "pre", "post", "reg", "uxtw", "sxtw")},
    **{f"LDR_X_{m}": ["ldr x", "ldur x"] for m in ("imm", "pre", "post", "reg", "uxtw", "sxtw")},
    **{f"STRB_{m}": ["strb", "sturb"] for m in ("imm", "pre", "post", "reg", "uxtw", "sxtw")},
    **{f"STRH_{m}": ["strh", "sturh"] for m in ("imm", "pre", "post", "reg", "uxtw", "sxtw")},
    **{f"STR_W_{m}": ["str w", "stur w"] for m in ("imm", "pre", "post", "reg", "uxtw", "sxtw")},
    **{f"STR_X_{m}": ["str x", "stur x"] for m in ("imm", "pre", "post", "reg", "uxtw", "sxtw")},
    "LDTR": ["ldtr", "ldtrb", "ldtrh", "ldtrsb", "ldtrsh", "ldtrsw"],
    "STTR": ["sttr", "sttrb", "sttrh"],
    **{f"LDP_W_{m}": ["ldp w", "ldnp w", "ldpsw"] for m in ("off", "pre", "post")},
    **{f"LDP_X_{m}": ["ldp x", "ldnp x"] for m in ("off", "pre", "post")},
    **{f"STP_W_{m}": ["stp w", "stnp w"] for m in ("off", "pre", "post")},
    **{f"STP_X_{m}": ["stp x", "stnp x"] for m in ("off", "pre", "post")},
    "LDXR": [f"ld{a}xr{s}" for a in ("", "a") for s in SIZES],
    "STXR": [f"st{l}xr{s}" for l in ("", "l") for s in SIZES],
    "LDXP": ["ldxp", "ldaxp"], "STXP": ["stxp", "stlxp"],
    "LDAR": ["ldar", "ldarb", "ldarh"], "STLR": ["stlr", "stlrb", "stlrh"],
    "CAS": [f"cas{o}{s}" for o in ORDERS for s in SIZES],
    "CASP": [f"casp{o}" for o in ORDERS],
    "SWP": [f"swp{o}{s}" for o in ORDERS for s in SIZES],
    **{f"LD{op.upper()}": _lse(f"ld{op}")
       for op in ("add", "clr", "eor", "set", "smax", "smin", "umax", "umin")},
}

# Mnemonics capstone knows that qemu_py must leave UNDEFINED, by reason.
UNDEF_OK = {
    # FEAT_MTE
    "addg", "subg", "irg", "gmi", "subp", "subps", "cmpp", "stg", "stzg", "st2g", "stz2g",
    "ldg", "stgp", "ldgm", "stgm", "stzgm",
    # FEAT_PAuth (the register forms; the hint-space ones are NOPs)
    "pacia", "pacib", "pacda", "pacdb", "autia", "autib", "autda", "autdb", "paciza", "pacizb",
    "pacdza", "pacdzb", "autiza", "autizb", "autdza", "autdzb", "xpaci", "xpacd", "pacga",
    "braa", "brab", "blraa", "blrab", "braaz", "brabz", "blraaz", "blrabz", "retaa", "retab",
    "eretaa", "eretab", "ldraa", "ldrab",
    # FEAT_FlagM, FEAT_FlagM2
    "cfinv", "rmif", "setf8", "setf16", "axflag", "xaflag",
    # FEAT_HBC, FEAT_TME, FEAT_WFxT, FEAT_SB, FEAT_LS64, FEAT_LRCPC(2), FEAT_LOR
    "bc.cond", "tstart", "tcommit", "tcancel", "ttest", "wfet", "wfit", "sb",
    "ld64b", "st64b", "st64bv", "st64bv0",
    "ldapr", "ldaprb", "ldaprh", "ldapur", "ldapurb", "ldapurh", "ldapursb", "ldapursh",
    "ldapursw", "stlur", "stlurb", "stlurh",
    "ldlar", "ldlarb", "ldlarh", "stllr", "stllrb", "stllrh",
    # FEAT_SME's PSTATE writes
    "smstart", "smstop",
    # Debug state only; SYSL has nothing allocated
    "dcps1", "dcps2", "dcps3", "drps", "sysl",
}
# FEAT_MOPS (cpy*, set*) and FEAT_FlagM's setf8/setf16.
UNDEF_OK_PREFIXES = ("cpy", "set")


def normalize(mnemonic: str) -> str:
    if mnemonic.startswith("b."):
        return "b.cond"
    if mnemonic.startswith("bc."):
        return "bc.cond"
    return mnemonic


def width(op_str: str) -> str:
    """'w' or 'x' for the first operand's register, '' when it is not a general register."""
    first = op_str.split(",")[0].strip()
    if first in ("sp", "xzr") or (first[:1] == "x" and first[1:].isdigit()):
        return "x"
    if first in ("wsp", "wzr") or (first[:1] == "w" and first[1:].isdigit()):
        return "w"
    return ""


def accepts(handler: str, mnemonic: str, op_str: str, word: int) -> bool:
    """Does `handler` correspond to the instruction `word` that capstone prints as
    mnemonic + op_str?"""
    mn = normalize(mnemonic)
    if handler == "UNDEF":
        if mn in UNDEF_OK or mn.startswith(UNDEF_OK_PREFIXES):
            return True
        if mn == "dsb" and op_str.endswith("nxs"):
            return True                   # FEAT_XS
        # MSR/MRS with op0 < 2: PSTATE fields of absent features (PAN, UAO, DIT, SSBS, TCO,
        # ...), or words capstone reads as register moves although those need op0 = 2 or 3.
        return mn in ("msr", "mrs") and (word >> 19) & 3 < 2
    if handler in ("MRS", "MSR") and (word >> 19) & 3 < 2:
        return False                      # register moves have op0 = 2 or 3
    for entry in HANDLERS.get(handler, ()):
        name, _, w = entry.partition(" ")
        if name == mn and (not w or w == width(op_str)):
            return True
    return False
