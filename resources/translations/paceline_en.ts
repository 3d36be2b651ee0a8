<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en_US">
<context>
    <name>AddReportWriter</name>
    <message numerus="yes">
        <source>Added %n document(s) to the queue.</source>
        <translation>
            <numerusform>Added %n document to the queue.</numerusform><numerusform>Added %n documents to the queue.</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n already in the queue or done (same content and profile)</source>
        <translation>
            <numerusform>%n already in the queue or done (same content and profile)</numerusform><numerusform>%n already in the queue or done (same content and profile)</numerusform></translation>
    </message>
</context>
<context>
    <name>BatchesPane</name>
    <message numerus="yes">
        <source>%n job(s) waiting in it</source>
        <translation>
            <numerusform>%n job waiting in it</numerusform><numerusform>%n jobs waiting in it</numerusform></translation>
    </message>
</context>
<context>
    <name>DetailPane</name>
    <message numerus="yes">
        <source>%n job(s) selected</source>
        <translation>
            <numerusform>%n job selected</numerusform><numerusform>%n jobs selected</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n token(s)</source>
        <translation>
            <numerusform>%n token</numerusform><numerusform>%n tokens</numerusform></translation>
    </message>
</context>
<context>
    <name>DropOverlay</name>
    <message numerus="yes">
        <source>Drop to add %n item(s) to the queue</source>
        <translation>
            <numerusform>Drop to add %n item to the queue</numerusform><numerusform>Drop to add %n items to the queue</numerusform></translation>
    </message>
</context>
<context>
    <name>HandOverTexts</name>
    <message numerus="yes">
        <source>Paceline is already open: sent %n item(s) to its window.</source>
        <translation>
            <numerusform>Paceline is already open: sent %n item to its window.</numerusform><numerusform>Paceline is already open: sent %n items to its window.</numerusform></translation>
    </message>
</context>
<context>
    <name>JobActions</name>
    <message numerus="yes">
        <source>%n job(s) queued again.</source>
        <translation>
            <numerusform>%n job queued again.</numerusform><numerusform>%n jobs queued again.</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>Output limit raised from %1 to %2 tokens; %n job(s) re-queued.</source>
        <translation>
            <numerusform>Output limit raised from %1 to %2 tokens; %n job re-queued.</numerusform><numerusform>Output limit raised from %1 to %2 tokens; %n jobs re-queued.</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n job(s) cancelled.</source>
        <translation>
            <numerusform>%n job cancelled.</numerusform><numerusform>%n jobs cancelled.</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>Remove %n job(s) and their results from the list? The documents themselves are not touched.</source>
        <translation>
            <numerusform>Remove %n job and their results from the list? The documents themselves are not touched.</numerusform><numerusform>Remove %n jobs and their results from the list? The documents themselves are not touched.</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n job(s) removed.</source>
        <translation>
            <numerusform>%n job removed.</numerusform><numerusform>%n jobs removed.</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n finished job(s) removed.</source>
        <translation>
            <numerusform>%n finished job removed.</numerusform><numerusform>%n finished jobs removed.</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n job(s) sent as batch %1: answers come back within 24 hours, at half the price.</source>
        <translation>
            <numerusform>%n job sent as batch %1: answers come back within 24 hours, at half the price.</numerusform><numerusform>%n jobs sent as batch %1: answers come back within 24 hours, at half the price.</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>Exported %n job(s) to %1.</source>
        <translation>
            <numerusform>Exported %n job to %1.</numerusform><numerusform>Exported %n jobs to %1.</numerusform></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <source>Adding %n item(s)…</source>
        <translation>
            <numerusform>Adding %n item…</numerusform><numerusform>Adding %n items…</numerusform></translation>
    </message>
</context>
<context>
    <name>QueueBanner</name>
    <message numerus="yes">
        <source>The queue is full: %n waiting job(s).</source>
        <translation>
            <numerusform>The queue is full: %n waiting job.</numerusform><numerusform>The queue is full: %n waiting jobs.</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>Backing off after %n failed call(s): next try in %1.</source>
        <translation>
            <numerusform>Backing off after %n failed call: next try in %1.</numerusform><numerusform>Backing off after %n failed calls: next try in %1.</numerusform></translation>
    </message>
</context>
<context>
    <name>QueueWatch</name>
    <message numerus="yes">
        <source>%n done</source>
        <translation>
            <numerusform>%n done</numerusform><numerusform>%n done</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>Paceline — paused, %n job(s) waiting</source>
        <translation>
            <numerusform>Paceline — paused, %n job waiting</numerusform><numerusform>Paceline — paused, %n jobs waiting</numerusform></translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message numerus="yes">
        <source>%n model(s) available.</source>
        <translation>
            <numerusform>%n model available.</numerusform><numerusform>%n models available.</numerusform></translation>
    </message>
</context>
<context>
    <name>StatusSummaryBar</name>
    <message numerus="yes">
        <source>Paused: %n job(s) waiting</source>
        <translation>
            <numerusform>Paused: %n job waiting</numerusform><numerusform>Paused: %n jobs waiting</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>ETA %1 for %n job(s)</source>
        <translation>
            <numerusform>ETA %1 for %n job</numerusform><numerusform>ETA %1 for %n jobs</numerusform></translation>
    </message>
</context>
</TS>