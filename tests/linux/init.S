// /init for the Linux boot test: print a marker with write(2) and power off with reboot(2).
// Plain A64 integer code: no FP/SIMD, no libc.
        .global _start
        .text
_start:
        mov     x0, #1                  // fd 1 (the console)
        adr     x1, marker
        mov     x2, #marker_len
        mov     x8, #64                 // __NR_write
        svc     #0
        movz    x0, #0xdead             // LINUX_REBOOT_MAGIC1 0xfee1dead
        movk    x0, #0xfee1, lsl #16
        movz    x1, #0x1969             // LINUX_REBOOT_MAGIC2 0x28121969
        movk    x1, #0x2812, lsl #16
        movz    x2, #0xfedc             // LINUX_REBOOT_CMD_POWER_OFF 0x4321fedc
        movk    x2, #0x4321, lsl #16
        mov     x3, #0
        mov     x8, #142                // __NR_reboot
        svc     #0
1:      b       1b

marker: .ascii  "QEMU_PY_INIT_OK: the initramfs ran\n"
        .set    marker_len, . - marker
