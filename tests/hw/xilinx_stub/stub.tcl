# Stand-ins for the Vivado and Vitis HLS Tcl commands, to run the generated scripts under plain tclsh:
#   tclsh stub.tcl SCRIPT.tcl
# * every command tclsh does not know is recorded (STUB_LOG, one line per call) and returns "" (the
#   `unknown` hook), so a script that parses and whose control flow holds runs to its end;
# * commands that read files (add_files, read_verilog, read_xdc, import_files; `source` is Tcl's own)
#   fail when a file does not exist, and so do -I folders of add_files -cflags;
# * the commands whose results the scripts use return plausible values (get_property PROGRESS/VLNV,
#   get_ipdefs, get_board_parts);
# * the steps that produce files write placeholders where the real tools would: csynth_design the
#   HLS top module, launch_runs impl_1 the .bit and the .hwh, report_* the files named by -file
#   (the contents of STUB_UTILIZATION / STUB_TIMING when set).
# Not a model of Vivado: it checks syntax, control flow and file references, nothing of the design.

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
foreach cmd {add_files read_verilog read_xdc import_files} {
    proc $cmd {args} [format {
        stub_record %1$s {*}$args
        foreach f [stub_files %1$s $args {-cflags -csimflags -fileset -of_objects -library}] {
            stub_need $f %1$s
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
    file mkdir $dir
    set f [open [file join $dir $::hls_top.v] w]
    puts $f "// stub: stands for the Verilog Vitis HLS writes\nmodule $::hls_top (); endmodule"
    close $f
}
proc export_design {args} {
    stub_record export_design {*}$args
    file mkdir [file join $::hls_project sol1 impl ip]
}

# ---- Vivado
proc create_project {args} {
    stub_record create_project {*}$args
    set words [stub_files create_project $args {-part -ip_repo_paths}]
    set ::proj_name [lindex $words 0]
    set ::proj_dir [file normalize [lindex $words 1]]
    file mkdir $::proj_dir
}
proc get_property {name args} {
    stub_record get_property $name {*}$args
    switch -- $name {
        PROGRESS { return "100%" }
        VLNV { return [lindex $args end] }
        default { return "" }
    }
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
proc launch_runs {args} {
    stub_record launch_runs {*}$args
    if {[lsearch -exact $args impl_1] >= 0} {
        set runs [file join $::proj_dir $::proj_name.runs impl_1]
        file mkdir $runs
        set f [open [file join $runs top_wrapper.bit] w]
        puts $f "stub bitstream"
        close $f
        set hw [file join $::proj_dir $::proj_name.gen sources_1 bd top hw_handoff]
        file mkdir $hw
        set f [open [file join $hw top.hwh] w]
        puts $f "<EDKSYSTEM><MODULES><MODULE INSTANCE=\"dietsnn_accel_0\"/></MODULES></EDKSYSTEM>"
        close $f
    }
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
        set f [open $path w]
        puts $f "stub $kind report"
        close $f
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
