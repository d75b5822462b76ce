# Scheduled drift correction on a Windows management server (Task Scheduler).
# Runs `hvnet drift --fix safe` every 15 minutes as a gMSA (no stored password: the
# inventory uses auth: kerberos), writes the JSON report and JUnit next to the repo.
#
# Exit codes seen in the task history: 0 in sync, 2 drift remains (awaiting approval),
# 1 error.
$ErrorActionPreference = 'Stop'

$repo   = 'D:\hvnet\desired-state'
$hvnet  = 'C:\Program Files\hvnet\hvnet.exe'
$report = 'D:\hvnet\reports'
New-Item -ItemType Directory -Force -Path $report | Out-Null

$action = New-ScheduledTaskAction -Execute $hvnet -WorkingDirectory $repo -Argument (
    'drift . --fix safe --report "{0}\drift-report.json" --junit "{0}\drift-junit.xml" --host-timeout 300 --log-format json' -f $report)
$trigger = New-ScheduledTaskTrigger -Once -At (Get-Date).Date -RepetitionInterval (New-TimeSpan -Minutes 15)
$principal = New-ScheduledTaskPrincipal -UserId 'CORP\svc-hvnet$' -LogonType Password -RunLevel Limited
$settings = New-ScheduledTaskSettingsSet -MultipleInstances IgnoreNew -ExecutionTimeLimit (New-TimeSpan -Minutes 45) -StartWhenAvailable

Register-ScheduledTask -TaskName 'hvnet drift correction' -TaskPath '\hvnet\' -Action $action `
    -Trigger $trigger -Principal $principal -Settings $settings -Force
