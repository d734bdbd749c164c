# Stand-ins for the Vivado and Vitis HLS Tcl commands, to run the generated scripts under plain tclsh:
#   tclsh stub.tcl SCRIPT.tcl
# * every command tclsh does not know is recorded (STUB_LOG, one line per call) and returns "" (the
#   `unknown` hook), so a script that parses and whose control flow holds runs to its end;
# * commands that read files (add_files, read_verilog, read_xdc, import_files; `source` is Tcl's own)
#   fail when a file does not exist, and so do -I folders of add_files -cflags;
# * the commands whose results the scripts use return plausible values (get_property PROGRESS, STATUS,
#   STATS.WNS/TNS/WHS/THS, PERIOD, CONFIG.FREQ_HZ, VLNV; get_ipdefs, get_board_parts, get_clocks,
#   get_pins; get_bd_cells / get_bd_pins / get_bd_intf_pins / get_bd_addr_segs return the path asked for);
# * synthesis (launch_runs synth_1) models what Vivado does with memory files: it sources the run's
#   STEPS.SYNTH_DESIGN.TCL.PRE hook and applies ONLY the message rules set there (a rule set in the
#   parent session is not assumed to reach the run's process); every quoted *.mem / *.dat name in the
#   added Verilog is looked up (absolute path, else a memory file added to the project, else the run
#   folder): "INFO: [Synth 8-3876] ... read successfully", or "CRITICAL WARNING: [Synth 8-4445] could
#   not open $readmem data file" (ERROR when the hook promoted it, and then the run fails); the lines
#   of STUB_SYNTH_MESSAGES (a file) are added to the log as they are, with the same rules; the log is
#   the run's runme.log;
# * implementation stops where -to_step says (STATUS "<step> Complete!"); write_bitstream writes a
#   placeholder .bit and a .hwh listing the block-design cells with the CONFIG values the script set;
# * timing numbers come from STUB_TIMING (report_timing_summary text): STATS.* from its Design Timing
#   Summary, PERIOD from STUB_PERIOD_NS or its first Clock Summary clock; CONFIG.FREQ_HZ from
#   STUB_FREQ_HZ, else the clocking wizard's requested frequency;
# * the steps that produce files write placeholders where the real tools would: csynth_design the HLS
#   top module (with a ROM read by "./<top>_rom.dat", and that file), report_* the files named by -file
#   (the contents of STUB_UTILIZATION / STUB_TIMING when set).
# Not a model of Vivado: it checks syntax, control flow, file references and the scripts' reactions to
# Vivado's messages and numbers, nothing of the design.

set ::stub_log [expr {[info exists ::env(STUB_LOG)] ? $::env(STUB_LOG) : ""}]
proc stub_record {args} {
    if {$::stub_log ne ""} {
        set f [open $::stub_log a]
        puts $f $args
        close $f
    }
}
proc unknown {args} {
    stub_record {*}$args
    return ""
}
proc stub_need {path what} {
    if {![file exists $path]} {
        error "stub: $what references a file that does not exist: $path"
    }
}
proc stub_read {path} {
    set f [open $path r]
    set text [read $f]
    close $f
    return $text
}
proc stub_write {path text} {
    file mkdir [file dirname $path]
    set f [open $path w]
    puts -nonewline $f $text
    close $f
}

# the file arguments of a command: options are skipped, with their values where they take one
proc stub_files {cmd words valued} {
    set files {}
    set skip 0
    foreach w $words {
        if {$skip} {
            if {$cmd eq "add_files" && $::stub_prev eq "-cflags"} {
                foreach flag $w {
                    if {[string match -I* $flag]} {
                        stub_need [string range $flag 2 end] "$cmd -cflags"
                    }
                }
            }
            set skip 0
            continue
        }
        if {[string match -* $w]} {
            set ::stub_prev $w
            if {[lsearch -exact $valued $w] >= 0} {
                set skip 1
            }
            continue
        }
        foreach f $w {
            lappend files $f
        }
    }
    return $files
}
set ::stub_prev ""
set ::stub_sources [list]
foreach cmd {add_files read_verilog read_xdc import_files} {
    proc $cmd {args} [format {
        stub_record %1$s {*}$args
        foreach f [stub_files %1$s $args {-cflags -csimflags -fileset -of_objects -library}] {
            stub_need $f %1$s
            lappend ::stub_sources [file normalize $f]
        }
        return ""
    } $cmd]
}

# ---- Vitis HLS
proc open_project {args} {
    stub_record open_project {*}$args
    set ::hls_project [file normalize [lindex $args end]]
    file mkdir $::hls_project
}
proc set_top {name} {
    stub_record set_top $name
    set ::hls_top $name
}
proc csynth_design {args} {
    stub_record csynth_design {*}$args
    set dir [file join $::hls_project sol1 syn verilog]
    stub_write [file join $dir $::hls_top.v] [string cat \
        "// stub: stands for the Verilog Vitis HLS writes, with a ROM as Vitis HLS reads it\n" \
        "module $::hls_top (); reg \[7:0\] ram \[0:3\];\n" \
        "initial begin \$readmemh(\"./${::hls_top}_rom.dat\", ram); end\nendmodule\n"]
    stub_write [file join $dir ${::hls_top}_rom.dat] "00\n01\n02\n03\n"
}
proc export_design {args} {
    stub_record export_design {*}$args
    file mkdir [file join $::hls_project sol1 impl ip]
}

# ---- Vivado: projects, block designs (cells and their CONFIG values are kept for the .hwh)
proc create_project {args} {
    stub_record create_project {*}$args
    set words [stub_files create_project $args {-part -ip_repo_paths}]
    set ::proj_name [lindex $words 0]
    set ::proj_dir [file normalize [lindex $words 1]]
    file mkdir $::proj_dir
}
set ::stub_cells [dict create]
proc create_bd_cell {args} {
    stub_record create_bd_cell {*}$args
    set name [lindex $args end]
    set type ""
    set i [lsearch -exact $args -vlnv]
    if {$i >= 0} {
        set type [lindex [split [lindex $args [expr {$i + 1}]] :] 2]
    }
    set i [lsearch -exact $args -reference]
    if {$i >= 0} {
        set type [lindex $args [expr {$i + 1}]]
    }
    dict set ::stub_cells $name [dict create type $type params [dict create]]
}
foreach cmd {get_bd_cells get_bd_pins get_bd_intf_pins get_bd_addr_segs} {
    proc $cmd {args} [format {
        stub_record %1$s {*}$args
        return [lindex $args end]
    } $cmd]
}
set ::stub_run_props [dict create]
proc set_property {args} {
    stub_record set_property {*}$args
    if {[lindex $args 0] eq "-dict"} {
        set target [lindex $args end]
        if {[dict exists $::stub_cells $target]} {
            foreach {k v} [lindex $args 1] {
                dict set ::stub_cells $target params [string map {CONFIG. ""} $k] $v
            }
        }
    } elseif {[llength $args] == 3} {
        lassign $args name value target
        dict set ::stub_run_props $target $name $value
    }
    return ""
}

# ---- message rules (set_msg_config -id ID -new_severity S)
set ::stub_rules [dict create]
proc set_msg_config {args} {
    stub_record set_msg_config {*}$args
    set id [lindex $args [expr {[lsearch -exact $args -id] + 1}]]
    set i [lsearch -exact $args -new_severity]
    if {$i >= 0} {
        dict set ::stub_rules [string trim $id {[]}] [lindex $args [expr {$i + 1}]]
    }
}
proc stub_message {rules severity id text} {
    if {[dict exists $rules $id]} {
        set severity [dict get $rules $id]
    }
    return "$severity: \[$id\] $text"
}

# ---- runs: synthesis reads the memory files, implementation stops at -to_step
set ::stub_status [dict create synth_1 {Not started} impl_1 {Not started}]
set ::stub_progress [dict create synth_1 0% impl_1 0%]
proc stub_synthesize {} {
    # the run's process: only the rules of its pre-synthesis hook
    set saved $::stub_rules
    set ::stub_rules [dict create]
    if {[dict exists $::stub_run_props synth_1 STEPS.SYNTH_DESIGN.TCL.PRE]} {
        set hook [dict get $::stub_run_props synth_1 STEPS.SYNTH_DESIGN.TCL.PRE]
        stub_need $hook "STEPS.SYNTH_DESIGN.TCL.PRE"
        source $hook
    }
    set rules $::stub_rules
    set ::stub_rules $saved
    set run_dir [file join $::proj_dir $::proj_name.runs synth_1]
    set mems [dict create]
    foreach f $::stub_sources {
        if {[regexp {\.(mem|dat)$} $f]} {
            dict set mems [file tail $f] $f
        }
    }
    set log [list "stub synthesis of $::proj_name"]
    foreach f $::stub_sources {
        if {![regexp {\.s?v$} $f]} {
            continue
        }
        foreach {all name} [regexp -all -inline {"([^"\s]+\.(?:mem|dat))"} [stub_read $f]] {
            if {[file pathtype $name] eq "absolute"} {
                set found [file isfile $name]
            } else {
                set found [expr {[dict exists $mems [file tail $name]] || [file isfile [file join $run_dir $name]]}]
            }
            if {$found} {
                lappend log [stub_message $rules INFO {Synth 8-3876} "\$readmem data file '$name' is read successfully \[$f\]"]
            } else {
                lappend log [stub_message $rules {CRITICAL WARNING} {Synth 8-4445} "could not open \$readmem data file '$name'; please make sure the file is added to project and has read permission, ignoring \[$f\]"]
            }
        }
    }
    if {[info exists ::env(STUB_SYNTH_MESSAGES)]} {
        foreach line [split [string trim [stub_read $::env(STUB_SYNTH_MESSAGES)]] "\n"] {
            if {[regexp {^(CRITICAL WARNING|WARNING|INFO|ERROR): \[([^\]]+)\] (.*)$} $line all sev id text]} {
                lappend log [stub_message $rules $sev $id $text]
            } else {
                lappend log $line
            }
        }
    }
    stub_write [file join $run_dir runme.log] "[join $log \n]\n"
    if {[lsearch -regexp $log {^ERROR:}] >= 0} {
        dict set ::stub_status synth_1 {synth_design ERROR}
        dict set ::stub_progress synth_1 0%
    } else {
        dict set ::stub_status synth_1 {synth_design Complete!}
        dict set ::stub_progress synth_1 100%
    }
}
proc stub_hwh {} {
    set out "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<EDKSYSTEM EDWVERSION=\"1.2\">\n  <MODULES>\n"
    dict for {name cell} $::stub_cells {
        append out "    <MODULE FULLNAME=\"/$name\" INSTANCE=\"$name\" MODTYPE=\"[dict get $cell type]\">\n"
        append out "      <PARAMETERS>\n"
        dict for {k v} [dict get $cell params] {
            append out "        <PARAMETER NAME=\"$k\" VALUE=\"$v\"/>\n"
        }
        append out "      </PARAMETERS>\n    </MODULE>\n"
    }
    return "$out  </MODULES>\n</EDKSYSTEM>\n"
}
proc launch_runs {args} {
    stub_record launch_runs {*}$args
    if {[lsearch -exact $args synth_1] >= 0} {
        stub_synthesize
    }
    if {[lsearch -exact $args impl_1] >= 0} {
        if {[dict get $::stub_progress synth_1] ne "100%"} {
            error "stub: launch_runs impl_1 after a failed synthesis"
        }
        set i [lsearch -exact $args -to_step]
        set step [expr {$i >= 0 ? [lindex $args [expr {$i + 1}]] : "write_bitstream"}]
        dict set ::stub_status impl_1 "$step Complete!"
        set runs [file join $::proj_dir $::proj_name.runs impl_1]
        stub_write [file join $runs runme.log] "stub implementation to $step\n"
        if {$step eq "write_bitstream"} {
            dict set ::stub_progress impl_1 100%
            stub_write [file join $runs top_wrapper.bit] "stub bitstream\n"
            stub_write [file join $::proj_dir $::proj_name.gen sources_1 bd top hw_handoff top.hwh] [stub_hwh]
        } else {
            dict set ::stub_progress impl_1 90%
        }
    }
}
proc get_runs {args} {
    stub_record get_runs {*}$args
    return [lindex $args end]
}

# ---- timing numbers from STUB_TIMING
proc stub_timing_row {} {
    if {![info exists ::env(STUB_TIMING)]} {
        return {0.100 0.000 0 1 0.010 0.000 0 1}
    }
    set lines [split [stub_read $::env(STUB_TIMING)] "\n"]
    set i [lsearch -regexp $lines {^\s*WNS\(ns\)}]
    return [regexp -all -inline {\S+} [lindex $lines [expr {$i + 2}]]]
}
proc stub_period {} {
    if {[info exists ::env(STUB_PERIOD_NS)]} {
        return $::env(STUB_PERIOD_NS)
    }
    if {[info exists ::env(STUB_TIMING)]} {
        set lines [split [stub_read $::env(STUB_TIMING)] "\n"]
        set i [lsearch -regexp $lines {^Clock\s+Waveform}]
        if {$i >= 0} {
            return [lindex [regexp -all -inline {\S+} [lindex $lines [expr {$i + 2}]]] 3]
        }
    }
    return 5.000
}
proc get_property {args} {
    stub_record get_property {*}$args
    while {[string match -* [lindex $args 0]]} {
        set args [lrange $args 1 end]
    }
    set name [lindex $args 0]
    set target [lindex $args end]
    switch -glob -- $name {
        PROGRESS { return [dict get $::stub_progress $target] }
        STATUS { return [dict get $::stub_status $target] }
        STATS.WNS { return [lindex [stub_timing_row] 0] }
        STATS.TNS { return [lindex [stub_timing_row] 1] }
        STATS.WHS { return [lindex [stub_timing_row] 4] }
        STATS.THS { return [lindex [stub_timing_row] 5] }
        PERIOD { return [stub_period] }
        CONFIG.FREQ_HZ {
            if {[info exists ::env(STUB_FREQ_HZ)]} {
                return $::env(STUB_FREQ_HZ)
            }
            if {[dict exists $::stub_cells clk_wiz_0 params CLKOUT1_REQUESTED_OUT_FREQ]} {
                return [expr {round([dict get $::stub_cells clk_wiz_0 params CLKOUT1_REQUESTED_OUT_FREQ] * 1e6)}]
            }
            return ""
        }
        VLNV { return [lindex $args end] }
        default { return "" }
    }
}
proc get_clocks {args} {
    stub_record get_clocks {*}$args
    return clk_out1_top_clk_wiz_0_0
}
proc get_pins {args} {
    stub_record get_pins {*}$args
    return stub_pin
}
proc get_ipdefs {args} {
    stub_record get_ipdefs {*}$args
    set pattern [lindex [stub_files get_ipdefs $args {-filter -of_objects}] 0]
    return [string map {* 1.0} $pattern]
}
proc get_board_parts {args} {
    stub_record get_board_parts {*}$args
    return [lindex [stub_files get_board_parts $args {-filter -of_objects}] 0]
}
proc stub_report {kind env args} {
    set i [lsearch -exact $args -file]
    if {$i < 0} {
        return ""
    }
    set path [lindex $args [expr {$i + 1}]]
    if {[info exists ::env($env)]} {
        file copy -force $::env($env) $path
    } else {
        stub_write $path "stub $kind report\n"
    }
}
proc report_utilization {args} {
    stub_record report_utilization {*}$args
    if {[lsearch -exact $args -hierarchical] >= 0} {
        stub_report utilization NO_SUCH_VARIABLE {*}$args
    } else {
        stub_report utilization STUB_UTILIZATION {*}$args
    }
}
proc report_timing_summary {args} {
    stub_record report_timing_summary {*}$args
    stub_report timing STUB_TIMING {*}$args
}

# run the script as the tools would: `info script` is the script's own path
set script [file normalize [lindex $argv 0]]
set argv [lrange $argv 1 end]
set argc [llength $argv]
info script $script
source $script
