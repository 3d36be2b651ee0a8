<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>AddReportDialog</name>
    <message>
        <location filename="../../gui/add_report.py" line="+123"/>
        <source>Added documents</source>
        <translation>Aufgenommene Dokumente</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>&amp;Copy report</source>
        <translation>Bericht &amp;kopieren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Copy the summary and every line to the clipboard</source>
        <translation>Die Zusammenfassung und jede Zeile in die Zwischenablage kopieren</translation>
    </message>
</context>
<context>
    <name>AddReportWriter</name>
    <message>
        <location line="-94"/>
        <source>the queue is full</source>
        <translation>die Warteschlange ist voll</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>not a supported document type</source>
        <translation>kein unterstützter Dokumenttyp</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the file does not exist</source>
        <translation>die Datei existiert nicht</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the file is empty</source>
        <translation>die Datei ist leer</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the file is too large</source>
        <translation>die Datei ist zu groß</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the file cannot be read</source>
        <translation>die Datei kann nicht gelesen werden</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>a folder with no supported documents (PDF, DOCX, HTML, text, images)</source>
        <translation>ein Ordner ohne unterstützte Dokumente (PDF, DOCX, HTML, Text, Bilder)</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>No supported documents found.</source>
        <translation>Keine unterstützten Dokumente gefunden.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Paceline reads text, Markdown, CSV, JSON, HTML, PDF and Word documents.</source>
        <translation>Paceline liest Text-, Markdown-, CSV-, JSON-, HTML-, PDF- und Word-Dokumente.</translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>Added %n document(s) to the queue.</source>
        <translation>
            <numerusform>%n Dokument in die Warteschlange aufgenommen.</numerusform>
            <numerusform>%n Dokumente in die Warteschlange aufgenommen.</numerusform>
        </translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Added %1 of %2 documents.</source>
        <translation>%1 von %2 Dokumenten aufgenommen.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Nothing was added.</source>
        <translation>Nichts wurde aufgenommen.</translation>
    </message>
    <message numerus="yes">
        <location line="+6"/>
        <source>%n already in the queue or done (same content and profile)</source>
        <translation>
            <numerusform>%n schon in der Warteschlange oder erledigt (gleicher Inhalt und gleiches Profil)</numerusform>
            <numerusform>%n schon in der Warteschlange oder erledigt (gleicher Inhalt und gleiches Profil)</numerusform>
        </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 not added: %2</source>
        <translation>%1 nicht aufgenommen: %2</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>%1. Wait for jobs to finish, or raise the queue limit in Settings.</source>
        <translation>%1. Warten Sie, bis Aufträge fertig sind, oder erhöhen Sie die Grenze der Warteschlange in den Einstellungen.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Added (job #%1): %2</source>
        <translation>Aufgenommen (Auftrag Nr. %1): %2</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Already queued or done (job #%1): %2</source>
        <translation>Schon eingereiht oder erledigt (Auftrag Nr. %1): %2</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not added: %1 — %2</source>
        <translation>Nicht aufgenommen: %1 – %2</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <location filename="../../gui/app.py" line="+140"/>
        <source>%1

The details are in the log file in %2.</source>
        <translation>%1

Einzelheiten stehen in der Protokolldatei in %2.</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>The worker</source>
        <translation>Die Verarbeitung</translation>
    </message>
    <message>
        <location line="+47"/>
        <source>Paceline is already running but does not answer</source>
        <translation>Paceline läuft bereits, antwortet aber nicht</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Another Paceline window holds %1, but it did not take the files within a few seconds. Nothing was added. Wait until that window responds and try again, or close it (end the process if it hangs) and start Paceline again.</source>
        <translation>Ein anderes Paceline-Fenster hält %1, hat die Dateien aber nicht innerhalb weniger Sekunden angenommen. Es wurde nichts aufgenommen. Warten Sie, bis das Fenster wieder reagiert, und versuchen Sie es erneut – oder schließen Sie es (beenden Sie den Prozess, falls er hängt) und starten Sie Paceline neu.</translation>
    </message>
    <message>
        <location line="+60"/>
        <location line="+24"/>
        <source>Paceline</source>
        <translation>Paceline</translation>
    </message>
    <message>
        <location line="-24"/>
        <source>Paceline cannot use its data folder: %1

Set PACELINE_HOME to a writable folder and start it again.</source>
        <translation>Paceline kann seinen Datenordner nicht verwenden: %1

Setzen Sie PACELINE_HOME auf einen beschreibbaren Ordner und starten Sie Paceline erneut.</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Paceline could not open its queue.

%1</source>
        <translation>Paceline konnte seine Warteschlange nicht öffnen.

%1</translation>
    </message>
</context>
<context>
    <name>Banner</name>
    <message>
        <location filename="../../gui/banner.py" line="+80"/>
        <location line="+1"/>
        <source>Dismiss</source>
        <translation>Ausblenden</translation>
    </message>
</context>
<context>
    <name>BatchTexts</name>
    <message>
        <location filename="../../gui/batch_texts.py" line="+23"/>
        <source>preparing</source>
        <translation>wird vorbereitet</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>uploading</source>
        <translation>wird hochgeladen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>creating</source>
        <translation>wird angelegt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>downloading</source>
        <translation>wird heruntergeladen</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+8"/>
        <source>cancelled</source>
        <translation>abgebrochen</translation>
    </message>
    <message>
        <location line="-4"/>
        <source>validating</source>
        <translation>wird geprüft</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../../gui/main_window.py" line="+133"/>
        <source>in progress</source>
        <translation>in Arbeit</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>finalizing</source>
        <translation>wird abgeschlossen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>cancelling</source>
        <translation>wird abgebrochen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>expired</source>
        <translation>abgelaufen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>failed</source>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>finished</source>
        <translation>fertig</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>%1 %2 / %3</source>
        <translation>%1 %2 / %3</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>batch %1 · %2</source>
        <translation>Batch %1 · %2</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../../gui/main_window.py" line="-1"/>
        <source>batch %1 · %2 %3/%4</source>
        <translation>Batch %1 · %2 %3/%4</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>%1 waiting in 1 batch</source>
        <translation>noch %1 in 1 Batch</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 waiting in %2 batches</source>
        <translation>noch %1 in %2 Batches</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Batch mode sends documents to a provider&apos;s Batch API; the offline analyzer has none. Choose DashScope, OpenAI or a custom URL in Settings.</source>
        <translation>Der Batch-Modus schickt Dokumente an die Batch-API eines Anbieters; die Offline-Analyse hat keine. Wählen Sie in den Einstellungen DashScope, OpenAI oder eine eigene URL.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>%1 has no Batch API: a server on this machine answers at once anyway. Batch mode is for DashScope, OpenAI or a custom URL whose server has one.</source>
        <translation>%1 hat keine Batch-API: Ein Server auf diesem Rechner antwortet ohnehin sofort. Der Batch-Modus ist für DashScope, OpenAI oder eine eigene URL, deren Server eine hat.</translation>
    </message>
</context>
<context>
    <name>BatchesPane</name>
    <message>
        <location filename="../../gui/batches_pane.py" line="+58"/>
        <source>Batches</source>
        <translation>Batch-Läufe</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Batch</source>
        <translation>Nr.</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Stage</source>
        <translation>Stand</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Progress</source>
        <translation>Fortschritt</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>ETA</source>
        <translation>Restzeit</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Created</source>
        <translation>Angelegt</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Expires</source>
        <translation>Läuft ab</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Problem</source>
        <translation>Störung</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Show its jobs</source>
        <translation>Seine Aufträge zeigen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Show only the selected batch&apos;s jobs in the job list</source>
        <translation>Nur die Aufträge des gewählten Batches in der Auftragsliste zeigen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Check now</source>
        <translation>Jetzt nachsehen</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+204"/>
        <source>Cancel batch</source>
        <translation>Batch abbrechen</translation>
    </message>
    <message>
        <location line="-202"/>
        <source>Ask the provider to stop the batch; what it has already answered is kept</source>
        <translation>Den Anbieter bitten, den Batch anzuhalten; schon Beantwortetes bleibt erhalten</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Download results…</source>
        <translation>Ergebnisse herunterladen…</translation>
    </message>
    <message>
        <location line="+75"/>
        <source>%1 (cancel asked)</source>
        <translation>%1 (Abbruch erbeten)</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>%1 requests: %2 answered, %3 refused</source>
        <translation>%1 Anfragen: %2 beantwortet, %3 abgelehnt</translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>%n job(s) waiting in it</source>
        <translation>
            <numerusform>%n Auftrag wartet darin</numerusform>
            <numerusform>%n Aufträge warten darin</numerusform>
        </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>At the provider: %1</source>
        <translation>Beim Anbieter: %1</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>≈ %1</source>
        <translation>≈ %1</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>now</source>
        <translation>jetzt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>in %1</source>
        <translation>noch %1</translation>
    </message>
    <message>
        <location line="+51"/>
        <source>Ask the provider about the batches now instead of at the next check</source>
        <translation>Den Anbieter jetzt nach den Batches fragen statt erst beim nächsten Nachsehen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Another Paceline process runs the batches: it checks them</source>
        <translation>Ein anderer Paceline-Prozess führt die Batches aus: er sieht nach ihnen</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Export the batch&apos;s finished jobs as Markdown, JSON or CSV</source>
        <translation>Die fertigen Aufträge des Batches als Markdown, JSON oder CSV exportieren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The answers come back when the whole batch is done</source>
        <translation>Die Antworten kommen zurück, wenn der ganze Batch fertig ist</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Checking the batches now.</source>
        <translation>Die Batches werden jetzt nachgesehen.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Cancel batch %1? The provider stops it; answers it already has are kept, the other jobs fail as cancelled and can be re-triggered.</source>
        <translation>Batch %1 abbrechen? Der Anbieter hält ihn an; Antworten, die er schon hat, bleiben erhalten, die übrigen Aufträge schlagen als abgebrochen fehl und können neu angestoßen werden.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Cancelling a batch</source>
        <translation>Abbrechen eines Batches</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The batch was not cancelled.</source>
        <translation>Der Batch wurde nicht abgebrochen.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Cancelling batch %1.</source>
        <translation>Batch %1 wird abgebrochen.</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Exporting a batch&apos;s results</source>
        <translation>Exportieren der Ergebnisse eines Batches</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Batch %1 has no finished jobs to export.</source>
        <translation>Batch %1 hat keine fertigen Aufträge zum Exportieren.</translation>
    </message>
</context>
<context>
    <name>CoreTexts</name>
    <message>
        <location filename="../../gui/core_texts.py" line="+34"/>
        <source>Unsupported document type</source>
        <translation>Nicht unterstützter Dokumenttyp</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Empty document</source>
        <translation>Leeres Dokument</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Encrypted document</source>
        <translation>Verschlüsseltes Dokument</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No text layer</source>
        <translation>Keine Textebene</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Needs a model that reads images</source>
        <translation>Braucht ein Modell, das Bilder liest</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Damaged document</source>
        <translation>Beschädigtes Dokument</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Too large</source>
        <translation>Zu groß</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>File missing</source>
        <translation>Datei fehlt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>File unreadable</source>
        <translation>Datei nicht lesbar</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Changed since it was added</source>
        <translation>Seit dem Hinzufügen geändert</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Text looks garbled</source>
        <translation>Text sieht verstümmelt aus</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Took too long to read</source>
        <translation>Lesen dauerte zu lange</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Made the reader crash</source>
        <translation>Leseprogramm abgestürzt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unknown text encoding</source>
        <translation>Unbekannte Textkodierung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>API key refused</source>
        <translation>API-Schlüssel abgelehnt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quota or balance used up</source>
        <translation>Kontingent oder Guthaben aufgebraucht</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unknown model</source>
        <translation>Unbekanntes Modell</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unusable API address</source>
        <translation>Unbrauchbare API-Adresse</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Rate limited</source>
        <translation>Ratenbegrenzt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Timeout</source>
        <translation>Zeitüberschreitung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Conflict</source>
        <translation>Konflikt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Server error</source>
        <translation>Serverfehler</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Too long for the model</source>
        <translation>Zu lang für das Modell</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Refused by the content filter</source>
        <translation>Vom Inhaltsfilter abgelehnt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Request refused</source>
        <translation>Anfrage abgelehnt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unreadable answer</source>
        <translation>Unlesbare Antwort</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Connection failed</source>
        <translation>Verbindung fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Answer cut off</source>
        <translation>Antwort abgeschnitten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cut off at the output limit</source>
        <translation>Am Ausgabelimit abgeschnitten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Queue full</source>
        <translation>Warteschlange voll</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Internal error</source>
        <translation>Interner Fehler</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Unknown error</source>
        <translation>Unbekannter Fehler</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>The answer was cut off at the output limit. Run it again with a larger output limit.</source>
        <translation>Die Antwort wurde am Ausgabelimit abgeschnitten. Lassen Sie den Auftrag mit einem größeren Ausgabelimit erneut laufen.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The answer was cut off at the output limit of %1 tokens. Run it again with a larger output limit.</source>
        <translation>Die Antwort wurde am Ausgabelimit von %1 Tokens abgeschnitten. Lassen Sie den Auftrag mit einem größeren Ausgabelimit erneut laufen.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The answer was cut off at the output limit of %1 tokens (%2). Run it again with a larger output limit.</source>
        <translation>Die Antwort wurde am Ausgabelimit von %1 Tokens abgeschnitten (%2). Lassen Sie den Auftrag mit einem größeren Ausgabelimit erneut laufen.</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>part %1 of %2</source>
        <translation>Teil %1 von %2</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the combining call</source>
        <translation>Aufruf zum Zusammenführen</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Paceline stopped while a paid call for this job was in flight; it may have been charged. Re-trigger it to send it again.</source>
        <translation>Paceline wurde beendet, während ein kostenpflichtiger Aufruf für diesen Auftrag lief; er wurde womöglich berechnet. Stoßen Sie den Auftrag neu an, um ihn erneut zu senden.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Paceline stopped while this job was running. Re-trigger it to run it again.</source>
        <translation>Paceline wurde beendet, während dieser Auftrag lief. Stoßen Sie ihn neu an, um ihn erneut auszuführen.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>The provider refused the API key. The queue is paused.</source>
        <translation>Der Anbieter hat den API-Schlüssel abgelehnt. Die Warteschlange ist angehalten.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The provider&apos;s quota or balance is used up. The queue is paused.</source>
        <translation>Kontingent oder Guthaben beim Anbieter ist aufgebraucht. Die Warteschlange ist angehalten.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The server does not know the model or the address. The queue is paused.</source>
        <translation>Der Server kennt das Modell oder die Adresse nicht. Die Warteschlange ist angehalten.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>A provider error paused the queue.</source>
        <translation>Ein Fehler beim Anbieter hat die Warteschlange angehalten.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Enter a valid API key in Settings (or set PACELINE_API_KEY), then resume the queue.</source>
        <translation>Geben Sie in den Einstellungen einen gültigen API-Schlüssel ein (oder setzen Sie PACELINE_API_KEY) und setzen Sie dann die Warteschlange fort.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Top up or settle the account with the provider, then resume the queue.</source>
        <translation>Laden Sie das Konto beim Anbieter auf oder begleichen Sie offene Beträge und setzen Sie dann die Warteschlange fort.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Check the model and the API base URL in Settings, then resume the queue.</source>
        <translation>Prüfen Sie Modell und API-Basis-URL in den Einstellungen und setzen Sie dann die Warteschlange fort.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Fix it in Settings, then resume the queue.</source>
        <translation>Beheben Sie das in den Einstellungen und setzen Sie dann die Warteschlange fort.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Each failed call in a row doubles the wait, up to the longest wait set in Settings. The failed job keeps its place in the queue.</source>
        <translation>Jeder weitere fehlgeschlagene Aufruf in Folge verdoppelt die Wartezeit, bis zur längsten Wartezeit aus den Einstellungen. Der betroffene Auftrag behält seinen Platz in der Warteschlange.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The provider said how long to wait (Retry-After); Paceline waits that long before the next call.</source>
        <translation>Der Anbieter hat vorgegeben, wie lange zu warten ist (Retry-After); so lange wartet Paceline vor dem nächsten Aufruf.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No connection to the server (refused, reset or timed out). Jobs keep their attempts meanwhile; Paceline tries again every 15 s at most and goes on by itself when the server answers.</source>
        <translation>Keine Verbindung zum Server (abgelehnt, zurückgesetzt oder Zeitüberschreitung). Aufträge behalten in dieser Zeit ihre Versuche; Paceline versucht es höchstens alle 15 s erneut und macht von selbst weiter, sobald der Server antwortet.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Calls are spread out so they stay within the rate limit the provider reports.</source>
        <translation>Die Aufrufe werden so verteilt, dass sie innerhalb der vom Anbieter gemeldeten Ratenbegrenzung bleiben.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Calls are spaced out to stay within the provider&apos;s rate limit. Change the pause in Settings, under Pacing.</source>
        <translation>Zwischen den Aufrufen wird pausiert, um die Ratenbegrenzung des Anbieters einzuhalten. Die Pause lässt sich in den Einstellungen unter „Taktung“ ändern.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Summary</source>
        <translation>Zusammenfassung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Key points</source>
        <translation>Kernpunkte</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Custom</source>
        <translation>Eigene Anweisung</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Alibaba DashScope (international)</source>
        <translation>Alibaba DashScope (international)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Alibaba DashScope (mainland China)</source>
        <translation>Alibaba DashScope (Festlandchina)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Custom URL</source>
        <translation>Eigene URL</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Offline analyzer</source>
        <translation>Offline-Analyse</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>an OpenAI-compatible endpoint</source>
        <translation>einen OpenAI-kompatiblen Endpunkt</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>a custom endpoint</source>
        <translation>einen eigenen Endpunkt</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>the server&apos;s first model</source>
        <translation>das erste Modell des Servers</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 via %2</source>
        <translation>%1 über %2</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 via %2 at %3</source>
        <translation>%1 über %2 auf %3</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>another Paceline window</source>
        <translation>ein anderes Paceline-Fenster</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>“%1” in a terminal</source>
        <translation>„%1“ in einem Terminal</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>another Paceline worker</source>
        <translation>eine andere Paceline-Verarbeitung</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 (process %2 on %3) runs this queue.</source>
        <translation>%1 (Prozess %2 auf %3) bearbeitet diese Warteschlange.</translation>
    </message>
</context>
<context>
    <name>DetailPane</name>
    <message>
        <location filename="../../gui/detail_pane.py" line="+137"/>
        <source>Export</source>
        <translation>Exportieren</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Result</source>
        <translation>Ergebnis</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Log</source>
        <translation>Protokoll</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Markdown…</source>
        <translation>Markdown…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>JSON…</source>
        <translation>JSON…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CSV…</source>
        <translation>CSV…</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>No job selected</source>
        <translation>Kein Auftrag ausgewählt</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Select a job to see its result, error and log. Drop documents anywhere on the window to add them.</source>
        <translation>Wählen Sie einen Auftrag, um Ergebnis, Fehler und Protokoll zu sehen. Dokumente zum Hinzufügen einfach irgendwo auf das Fenster ziehen.</translation>
    </message>
    <message numerus="yes">
        <location line="+8"/>
        <source>%n job(s) selected</source>
        <translation>
            <numerusform>%n Auftrag ausgewählt</numerusform>
            <numerusform>%n Aufträge ausgewählt</numerusform>
        </translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Export saves the results of all selected jobs.</source>
        <translation>„Exportieren“ speichert die Ergebnisse aller ausgewählten Aufträge.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Loading the job&apos;s details</source>
        <translation>Laden der Auftragsdetails</translation>
    </message>
    <message>
        <location line="+47"/>
        <source>Done, cut off</source>
        <translation>Erledigt, abgeschnitten</translation>
    </message>
    <message numerus="yes">
        <location line="+5"/>
        <source>%n token(s)</source>
        <translation>
            <numerusform>%n Token</numerusform>
            <numerusform>%n Tokens</numerusform>
        </translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Re-trigger</source>
        <translation>Neu anstoßen</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Stale since %1: it was running when Paceline stopped.</source>
        <translation>Unterbrochen seit %1: Der Auftrag lief, als Paceline beendet wurde.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stale: it was running when Paceline stopped.</source>
        <translation>Unterbrochen: Der Auftrag lief, als Paceline beendet wurde.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Not sent: the text read from it looks garbled.</source>
        <translation>Nicht gesendet: Der gelesene Text sieht verstümmelt aus.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Send anyway</source>
        <translation>Trotzdem senden</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Failed (%1)</source>
        <translation>Fehlgeschlagen (%1)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>This answer is incomplete.</source>
        <translation>Diese Antwort ist unvollständig.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Run again with a larger output limit</source>
        <translation>Mit größerem Ausgabelimit erneut ausführen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The text read from this document looks garbled.</source>
        <translation>Der aus diesem Dokument gelesene Text sieht verstümmelt aus.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1. The answer below may be of little use.</source>
        <translation>%1. Die Antwort unten ist daher womöglich wenig brauchbar.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The last attempt failed; the job will be tried again.</source>
        <translation>Der letzte Versuch ist fehlgeschlagen; der Auftrag wird erneut versucht.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Waiting in the queue.</source>
        <translation>Wartet in der Warteschlange.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Sent in batch %1 to the provider&apos;s Batch API: the result comes back when the whole batch is done.</source>
        <translation>In Batch %1 an die Batch-API des Anbieters gesendet: das Ergebnis kommt zurück, wenn der ganze Batch fertig ist.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Working on it: %1 of %2 parts done.</source>
        <translation>In Arbeit: %1 von %2 Teilen erledigt.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Working on it…</source>
        <translation>In Arbeit…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Cancelled: no result.</source>
        <translation>Abgebrochen: kein Ergebnis.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No result.</source>
        <translation>Kein Ergebnis.</translation>
    </message>
</context>
<context>
    <name>DropOverlay</name>
    <message numerus="yes">
        <location filename="../../gui/drop_overlay.py" line="+42"/>
        <source>Drop to add %n item(s) to the queue</source>
        <translation>
            <numerusform>Loslassen, um %n Element in die Warteschlange aufzunehmen</numerusform>
            <numerusform>Loslassen, um %n Elemente in die Warteschlange aufzunehmen</numerusform>
        </translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Folders are searched for supported documents, including subfolders.</source>
        <translation>Ordner werden samt Unterordnern nach unterstützten Dokumenten durchsucht.</translation>
    </message>
</context>
<context>
    <name>FolderField</name>
    <message>
        <location filename="../../gui/watch_folder_dialog.py" line="+44"/>
        <source>Browse…</source>
        <translation>Durchsuchen…</translation>
    </message>
</context>
<context>
    <name>FoldersPane</name>
    <message>
        <location filename="../../gui/folders_pane.py" line="+60"/>
        <source>Folders</source>
        <translation>Ordner</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Folder</source>
        <translation>Ordner</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Profile</source>
        <translation>Profil</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Files</source>
        <translation>Dateien</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Result files</source>
        <translation>Ergebnisdateien</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>State</source>
        <translation>Zustand</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Queued</source>
        <translation>Wartend</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Done</source>
        <translation>Fertig</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Failed</source>
        <translation>Fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>No watch folders yet. Add one: documents that a scanner, a mail rule or a sync client puts there are queued by themselves, once they are complete.</source>
        <translation>Noch keine überwachten Ordner. Fügen Sie einen hinzu: Dokumente, die ein Scanner, eine Mailregel oder ein Sync-Programm dort ablegt, kommen von selbst in die Warteschlange, sobald sie vollständig sind.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Add…</source>
        <translation>Hinzufügen…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Watch a folder</source>
        <translation>Einen Ordner überwachen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Options…</source>
        <translation>Optionen…</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+155"/>
        <source>Pause</source>
        <translation>Anhalten</translation>
    </message>
    <message>
        <location line="-152"/>
        <source>Remove</source>
        <translation>Entfernen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stop watching the folder (its jobs stay)</source>
        <translation>Den Ordner nicht mehr überwachen (seine Aufträge bleiben)</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>Reading the watch folders</source>
        <translation>Überwachte Ordner lesen</translation>
    </message>
    <message>
        <location line="+49"/>
        <source>Paused</source>
        <translation>Angehalten</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Unavailable</source>
        <translation>Nicht erreichbar</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The folder cannot be reached (an unplugged disk or a network share that is gone?). Watching resumes by itself when it is back.</source>
        <translation>Der Ordner ist nicht erreichbar (ein abgezogenes Laufwerk oder eine getrennte Netzwerkfreigabe?). Die Überwachung geht von selbst weiter, sobald er wieder da ist.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Watching</source>
        <translation>Wird überwacht</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Not watched</source>
        <translation>Nicht überwacht</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No worker runs this queue: the folder is watched while the window&apos;s worker or &apos;paceline-cli run --watch&apos; runs.</source>
        <translation>Kein Worker bearbeitet diese Warteschlange: Der Ordner wird überwacht, solange der Worker des Fensters oder „paceline-cli run --watch“ läuft.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Done documents move to %1</source>
        <translation>Fertige Dokumente werden nach %1 verschoben</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Failed documents move to %1</source>
        <translation>Fehlgeschlagene Dokumente werden nach %1 verschoben</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>All documents</source>
        <translation>Alle Dokumente</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1, not in subfolders</source>
        <translation>%1, ohne Unterordner</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Beside, %1</source>
        <translation>Daneben, %1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>In %1, %2</source>
        <translation>Im Ordner %1, %2</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>None</source>
        <translation>Keine</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 (Settings)</source>
        <translation>%1 (Einstellungen)</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Resume</source>
        <translation>Fortsetzen</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>Pausing the watch folder</source>
        <translation>Überwachten Ordner anhalten</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Stop watching</source>
        <translation>Nicht mehr überwachen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop watching %1? Its documents and their jobs stay as they are.</source>
        <translation>%1 nicht mehr überwachen? Seine Dokumente und ihre Aufträge bleiben, wie sie sind.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Removing the watch folder</source>
        <translation>Überwachten Ordner entfernen</translation>
    </message>
</context>
<context>
    <name>Format</name>
    <message>
        <location filename="../../gui/formatting.py" line="+30"/>
        <source>Queued</source>
        <translation>Wartend</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Running</source>
        <translation>Läuft</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Done</source>
        <translation>Erledigt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Failed</source>
        <translation>Fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cancelled</source>
        <translation>Abgebrochen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stale</source>
        <translation>Unterbrochen</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>&lt; %1 s</source>
        <translation>&lt; %1 s</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+3"/>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 min %2 s</source>
        <translation>%1 min %2 s</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 d %2 h</source>
        <translation>%1 d %2 h</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>just now</source>
        <translation>gerade eben</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 ago</source>
        <translation>vor %1</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
</context>
<context>
    <name>HandOverTexts</name>
    <message numerus="yes">
        <location filename="../../gui/app.py" line="-104"/>
        <source>Paceline is already open: sent %n item(s) to its window.</source>
        <translation>
            <numerusform>Paceline ist bereits geöffnet: %n Element an sein Fenster übergeben.</numerusform>
            <numerusform>Paceline ist bereits geöffnet: %n Elemente an sein Fenster übergeben.</numerusform>
        </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Paceline is already open: brought its window to the front.</source>
        <translation>Paceline ist bereits geöffnet: Sein Fenster wurde nach vorn geholt.</translation>
    </message>
</context>
<context>
    <name>JobActions</name>
    <message>
        <location filename="../../gui/job_actions.py" line="+69"/>
        <location line="+136"/>
        <source>&amp;Pause queue</source>
        <translation>Warteschlange &amp;anhalten</translation>
    </message>
    <message>
        <location line="-135"/>
        <source>Pause or resume the queue</source>
        <translation>Warteschlange anhalten oder fortsetzen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Retry &amp;now</source>
        <translation>&amp;Sofort versuchen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>End the current wait and make the next call now</source>
        <translation>Die aktuelle Wartezeit beenden und den nächsten Aufruf sofort senden</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Re-trigger</source>
        <translation>&amp;Neu anstoßen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Queue the selected stale, failed or cancelled jobs again</source>
        <translation>Die ausgewählten unterbrochenen, fehlgeschlagenen oder abgebrochenen Aufträge erneut einreihen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Run a&amp;gain with a larger output limit</source>
        <translation>Mit &amp;größerem Ausgabelimit erneut ausführen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Double the output limit in Settings and queue the selected jobs whose answer was cut off again</source>
        <translation>Das Ausgabelimit in den Einstellungen verdoppeln und die ausgewählten Aufträge mit abgeschnittener Antwort erneut einreihen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Re-trigger all &amp;stale</source>
        <translation>Alle &amp;unterbrochenen neu anstoßen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Queue every stale job again</source>
        <translation>Alle unterbrochenen Aufträge erneut einreihen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Retry all &amp;failed</source>
        <translation>Alle &amp;fehlgeschlagenen wiederholen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Queue every failed job again</source>
        <translation>Alle fehlgeschlagenen Aufträge erneut einreihen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Cancel</source>
        <translation>Ab&amp;brechen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cancel the selected queued or running jobs</source>
        <translation>Die ausgewählten wartenden oder laufenden Aufträge abbrechen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Re&amp;move</source>
        <translation>En&amp;tfernen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remove the selected finished jobs and their results</source>
        <translation>Die ausgewählten abgeschlossenen Aufträge samt Ergebnissen entfernen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>C&amp;lear finished</source>
        <translation>A&amp;bgeschlossene entfernen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remove all done and cancelled jobs from the list</source>
        <translation>Alle erledigten und abgebrochenen Aufträge aus der Liste entfernen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Move to &amp;top</source>
        <translation>Ganz nach &amp;oben</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Run the selected queued jobs first</source>
        <translation>Die ausgewählten wartenden Aufträge als Erste ausführen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Move &amp;up</source>
        <translation>Einen Platz &amp;höher</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Move the selected queued jobs up one place</source>
        <translation>Die ausgewählten wartenden Aufträge um einen Platz nach oben schieben</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Move &amp;down</source>
        <translation>Einen Platz t&amp;iefer</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Move the selected queued jobs down one place</source>
        <translation>Die ausgewählten wartenden Aufträge um einen Platz nach unten schieben</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Move to &amp;bottom</source>
        <translation>Ganz nach &amp;unten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Run the selected queued jobs last</source>
        <translation>Die ausgewählten wartenden Aufträge als Letzte ausführen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Open document</source>
        <translation>Dokument ö&amp;ffnen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Open the selected documents in their usual application</source>
        <translation>Die ausgewählten Dokumente mit ihrem üblichen Programm öffnen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Copy &amp;error</source>
        <translation>Fehler &amp;kopieren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Copy the error or stale reason of the selected jobs</source>
        <translation>Fehler oder Unterbrechungsgrund der ausgewählten Aufträge kopieren</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Send the selected queued jobs to the provider&apos;s Batch API: half the price, answers within 24 hours</source>
        <translation>Die gewählten wartenden Aufträge an die Batch-API des Anbieters senden: halber Preis, Antworten binnen 24 Stunden</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Send as &amp;batch</source>
        <translation>Als &amp;Batch senden</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Export…</source>
        <translation>E&amp;xportieren…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Export the selected jobs as Markdown, JSON or CSV</source>
        <translation>Die ausgewählten Aufträge als Markdown, JSON oder CSV exportieren</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Retry &amp;failed</source>
        <translation>&amp;Fehlgeschlagene wiederholen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Move</source>
        <translation>&amp;Verschieben</translation>
    </message>
    <message>
        <location line="+74"/>
        <source>Resume &amp;queue</source>
        <translation>Warteschlange fo&amp;rtsetzen</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>All failed jobs (%1)</source>
        <translation>Alle fehlgeschlagenen Aufträge (%1)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>no error kind</source>
        <translation>ohne Fehlerart</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Only “%1” (%2)</source>
        <translation>Nur „%1“ (%2)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Reading the failed jobs</source>
        <translation>Lesen der fehlgeschlagenen Aufträge</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Pausing or resuming the queue</source>
        <translation>Anhalten oder Fortsetzen der Warteschlange</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Queue resumed.</source>
        <translation>Warteschlange fortgesetzt.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Queue paused: the running call finishes, nothing new starts.</source>
        <translation>Warteschlange angehalten: Der laufende Aufruf wird beendet, nichts Neues beginnt.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Retrying now.</source>
        <translation>Wird sofort versucht.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Re-triggering jobs</source>
        <translation>Neues Anstoßen von Aufträgen</translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <location line="+36"/>
        <source>%n job(s) queued again.</source>
        <translation>
            <numerusform>%n Auftrag erneut eingereiht.</numerusform>
            <numerusform>%n Aufträge erneut eingereiht.</numerusform>
        </translation>
    </message>
    <message>
        <location line="-27"/>
        <source>Running jobs again with a larger output limit</source>
        <translation>Aufträge mit größerem Ausgabelimit erneut ausführen</translation>
    </message>
    <message numerus="yes">
        <location line="+14"/>
        <source>Output limit raised from %1 to %2 tokens; %n job(s) re-queued.</source>
        <translation>
            <numerusform>Ausgabelimit von %1 auf %2 Tokens erhöht; %n Auftrag erneut eingereiht.</numerusform>
            <numerusform>Ausgabelimit von %1 auf %2 Tokens erhöht; %n Aufträge erneut eingereiht.</numerusform>
        </translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Re-triggering stale jobs</source>
        <translation>Neues Anstoßen unterbrochener Aufträge</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Retrying failed jobs</source>
        <translation>Wiederholen fehlgeschlagener Aufträge</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Cancelling jobs</source>
        <translation>Abbrechen von Aufträgen</translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>%n job(s) cancelled.</source>
        <translation>
            <numerusform>%n Auftrag abgebrochen.</numerusform>
            <numerusform>%n Aufträge abgebrochen.</numerusform>
        </translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Remove jobs</source>
        <translation>Aufträge entfernen</translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>Remove %n job(s) and their results from the list? The documents themselves are not touched.</source>
        <translation>
            <numerusform>%n Auftrag samt Ergebnis aus der Liste entfernen? Die Dokumente selbst bleiben unberührt.</numerusform>
            <numerusform>%n Aufträge samt Ergebnissen aus der Liste entfernen? Die Dokumente selbst bleiben unberührt.</numerusform>
        </translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Removing jobs</source>
        <translation>Entfernen von Aufträgen</translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>%n job(s) removed.</source>
        <translation>
            <numerusform>%n Auftrag entfernt.</numerusform>
            <numerusform>%n Aufträge entfernt.</numerusform>
        </translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Clear finished</source>
        <translation>Abgeschlossene entfernen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remove every done and cancelled job and its result from the list? Failed and stale jobs stay. The documents themselves are not touched.</source>
        <translation>Alle erledigten und abgebrochenen Aufträge samt Ergebnissen aus der Liste entfernen? Fehlgeschlagene und unterbrochene Aufträge bleiben. Die Dokumente selbst bleiben unberührt.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Clearing finished jobs</source>
        <translation>Entfernen abgeschlossener Aufträge</translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>%n finished job(s) removed.</source>
        <translation>
            <numerusform>%n abgeschlossener Auftrag entfernt.</numerusform>
            <numerusform>%n abgeschlossene Aufträge entfernt.</numerusform>
        </translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Sending jobs as a batch</source>
        <translation>Senden von Aufträgen als Batch</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+6"/>
        <location line="+5"/>
        <source>The jobs were not sent as a batch.</source>
        <translation>Die Aufträge wurden nicht als Batch gesendet.</translation>
    </message>
    <message>
        <location line="-4"/>
        <source>None of them is waiting in the queue any more: only queued jobs can be sent as a batch.</source>
        <translation>Keiner davon wartet mehr in der Warteschlange: nur wartende Aufträge lassen sich als Batch senden.</translation>
    </message>
    <message numerus="yes">
        <location line="+6"/>
        <source>%n job(s) sent as batch %1: answers come back within 24 hours, at half the price.</source>
        <translation>
            <numerusform>%n Auftrag als Batch %1 gesendet: die Antworten kommen binnen 24 Stunden zurück, zum halben Preis.</numerusform>
            <numerusform>%n Aufträge als Batch %1 gesendet: die Antworten kommen binnen 24 Stunden zurück, zum halben Preis.</numerusform>
        </translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Reordering the queue</source>
        <translation>Umsortieren der Warteschlange</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>%1 is no longer there: it was moved or deleted after it was added.</source>
        <translation>%1 ist nicht mehr vorhanden: Die Datei wurde nach dem Hinzufügen verschoben oder gelöscht.</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Copied.</source>
        <translation>Kopiert.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Select the jobs to export first.</source>
        <translation>Wählen Sie zuerst die zu exportierenden Aufträge aus.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Exporting jobs</source>
        <translation>Exportieren von Aufträgen</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Could not write %1: %2. Choose another folder.</source>
        <translation>%1 konnte nicht geschrieben werden: %2. Wählen Sie einen anderen Ordner.</translation>
    </message>
    <message numerus="yes">
        <location line="+3"/>
        <source>Exported %n job(s) to %1.</source>
        <translation>
            <numerusform>%n Auftrag nach %1 exportiert.</numerusform>
            <numerusform>%n Aufträge nach %1 exportiert.</numerusform>
        </translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>JSON (*.json)</source>
        <translation>JSON (*.json)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CSV (*.csv)</source>
        <translation>CSV (*.csv)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Export jobs</source>
        <translation>Aufträge exportieren</translation>
    </message>
</context>
<context>
    <name>JobLogView</name>
    <message>
        <location filename="../../gui/detail_pane.py" line="+31"/>
        <source>The job&apos;s events appear here as they happen.</source>
        <translation>Die Ereignisse des Auftrags erscheinen hier, sobald sie geschehen.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Copy log</source>
        <translation>Protokoll kopieren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Copy the whole log to the clipboard</source>
        <translation>Das ganze Protokoll in die Zwischenablage kopieren</translation>
    </message>
    <message>
        <location line="+88"/>
        <source>Reading the job&apos;s log</source>
        <translation>Protokoll des Auftrags wird gelesen</translation>
    </message>
</context>
<context>
    <name>JobsModel</name>
    <message>
        <location filename="../../gui/jobs_model.py" line="+302"/>
        <source>Loading older jobs</source>
        <translation>Laden älterer Aufträge</translation>
    </message>
    <message>
        <location line="+114"/>
        <source>#</source>
        <translation>#</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Document</source>
        <translation>Dokument</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Profile</source>
        <translation>Profil</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>State</source>
        <translation>Status</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Progress</source>
        <translation>Fortschritt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ETA</source>
        <translation>Restzeit</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Attempts</source>
        <translation>Versuche</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tokens</source>
        <translation>Tokens</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Duration</source>
        <translation>Dauer</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Error / reason</source>
        <translation>Fehler / Grund</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Place in the queue: 1 runs next</source>
        <translation>Platz in der Warteschlange: 1 ist als Nächstes dran</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Estimated time until the job is done</source>
        <translation>Geschätzte Zeit, bis der Auftrag erledigt ist</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Attempts used of those allowed</source>
        <translation>Verbrauchte von den erlaubten Versuchen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Prompt and completion tokens used</source>
        <translation>Verbrauchte Tokens für Anfrage und Antwort</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Time spent in calls (elapsed time while running)</source>
        <translation>In Aufrufen verbrachte Zeit (bei laufenden Aufträgen die bisherige Zeit)</translation>
    </message>
    <message>
        <location line="+52"/>
        <source>batch %1</source>
        <translation>Batch %1</translation>
    </message>
    <message>
        <location line="+5"/>
        <location filename="../../gui/main_window.py" line="-4"/>
        <source>%1, %2</source>
        <translation>%1, %2</translation>
    </message>
    <message>
        <location line="+2"/>
        <location filename="../../gui/main_window.py" line="+7"/>
        <source>Queued, will retry</source>
        <translation>Wartend, neuer Versuch folgt</translation>
    </message>
    <message>
        <location line="+2"/>
        <location filename="../../gui/main_window.py" line="+1"/>
        <source>Done, cut off</source>
        <translation>Erledigt, abgeschnitten</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Done, text doubtful</source>
        <translation>Fertig, Text zweifelhaft</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>≈ %1</source>
        <translation>≈ %1</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1 of %2</source>
        <translation>%1 von %2</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>%1

Error kind: %2</source>
        <translation>%1

Fehlerart: %2</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Sent to the provider&apos;s Batch API (half price); its answers come back when the whole batch is done.</source>
        <translation>An die Batch-API des Anbieters gesendet (halber Preis); die Antworten kommen zurück, wenn der ganze Batch fertig ist.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The text read from it looks garbled: %1</source>
        <translation>Der daraus gelesene Text sieht verstümmelt aus: %1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 of %2 parts done</source>
        <translation>%1 von %2 Teilen erledigt</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../gui/main_window.py" line="+54"/>
        <source>Paceline</source>
        <translation>Paceline</translation>
    </message>
    <message>
        <location line="+113"/>
        <source>Add &amp;files…</source>
        <translation>&amp;Dateien hinzufügen…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Add documents to the queue</source>
        <translation>Dokumente in die Warteschlange aufnehmen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Add f&amp;older…</source>
        <translation>&amp;Ordner hinzufügen…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Add every supported document in a folder and its subfolders</source>
        <translation>Alle unterstützten Dokumente eines Ordners und seiner Unterordner aufnehmen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Settings…</source>
        <translation>&amp;Einstellungen…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Provider, API key, pacing, queue and profiles</source>
        <translation>Anbieter, API-Schlüssel, Taktung, Warteschlange und Profile</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop the worker and close Paceline</source>
        <translation>Die Verarbeitung anhalten und Paceline beenden</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Close window</source>
        <translation>Fenster &amp;schließen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Close the window (Paceline keeps running in the tray if the settings say so)</source>
        <translation>Das Fenster schließen (Paceline läuft im Infobereich weiter, wenn die Einstellungen das vorsehen)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Find</source>
        <translation>&amp;Suchen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Search the jobs</source>
        <translation>Die Aufträge durchsuchen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show &amp;result</source>
        <translation>&amp;Ergebnis zeigen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show the selected job&apos;s result</source>
        <translation>Das Ergebnis des ausgewählten Auftrags zeigen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;About Paceline</source>
        <translation>Ü&amp;ber Paceline</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>Search documents, profiles and errors</source>
        <translation>Dokumente, Profile und Fehler durchsuchen</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>&amp;Queue</source>
        <translation>&amp;Warteschlange</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>&amp;Job</source>
        <translation>&amp;Auftrag</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>&amp;View</source>
        <translation>A&amp;nsicht</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Folders</source>
        <translation>&amp;Ordner</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Batches</source>
        <translation>Batch-&amp;Läufe</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Main</source>
        <translation>Hauptleiste</translation>
    </message>
    <message>
        <location line="+66"/>
        <source>Some saved settings could not be used: Paceline uses their defaults. Fix them in Settings.</source>
        <translation>Einige gespeicherte Einstellungen waren unbrauchbar: Paceline nimmt für sie die Standardwerte. Korrigieren Sie sie in den Einstellungen.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Settings…</source>
        <translation>Einstellungen…</translation>
    </message>
    <message>
        <location line="+71"/>
        <source>Reading the failed jobs</source>
        <translation>Lesen der fehlgeschlagenen Aufträge</translation>
    </message>
    <message numerus="yes">
        <location line="+89"/>
        <source>Adding %n item(s)…</source>
        <translation>
            <numerusform>%n Element wird aufgenommen…</numerusform>
            <numerusform>%n Elemente werden aufgenommen…</numerusform>
        </translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Adding documents</source>
        <translation>Aufnehmen von Dokumenten</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Nothing was added.</source>
        <translation>Nichts wurde aufgenommen.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Details…</source>
        <translation>Einzelheiten…</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Documents (%1)</source>
        <translation>Dokumente (%1)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>All files (*)</source>
        <translation>Alle Dateien (*)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Add documents</source>
        <translation>Dokumente hinzufügen</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Add a folder</source>
        <translation>Ordner hinzufügen</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>Applying the settings</source>
        <translation>Übernehmen der Einstellungen</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Settings saved.</source>
        <translation>Einstellungen gespeichert.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Settings saved. The analyzer switches when the running job finishes.</source>
        <translation>Einstellungen gespeichert. Die Analyse wechselt, sobald der laufende Auftrag fertig ist.</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Raising the output limit</source>
        <translation>Erhöhen des Ausgabelimits</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>This window is monitoring: another worker runs the queue.</source>
        <translation>Dieses Fenster beobachtet nur: Eine andere Verarbeitung bearbeitet die Warteschlange.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 Jobs you add here are processed by it. When it stops, click Take over.</source>
        <translation>%1 Aufträge, die Sie hier hinzufügen, werden dort verarbeitet. Sobald sie endet, klicken Sie auf „Übernehmen“.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Take over</source>
        <translation>Übernehmen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The worker cannot start with the current settings.</source>
        <translation>Mit den aktuellen Einstellungen kann die Verarbeitung nicht starten.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open Settings…</source>
        <translation>Einstellungen öffnen…</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Starting the worker</source>
        <translation>Starten der Verarbeitung</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>%1 failed.</source>
        <translation>%1 ist fehlgeschlagen.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 The details are in the log file in %2.</source>
        <translation>%1 Einzelheiten stehen in der Protokolldatei in %2.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>About Paceline</source>
        <translation>Über Paceline</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Paceline %1

A queue runner for document analysis through rate-limited language-model APIs.

Data folder: %2</source>
        <translation>Paceline %1

Eine Warteschlange für Dokumentanalysen über ratenbegrenzte Sprachmodell-APIs.

Datenordner: %2</translation>
    </message>
    <message>
        <location line="+115"/>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Paceline is still running</source>
        <translation>Paceline läuft weiter</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The queue goes on in the background. Click the tray icon to open the window; choose Quit in its menu to stop Paceline.</source>
        <translation>Die Warteschlange läuft im Hintergrund weiter. Ein Klick auf das Symbol im Infobereich öffnet das Fenster; „Beenden“ in seinem Menü beendet Paceline.</translation>
    </message>
</context>
<context>
    <name>QueueBanner</name>
    <message>
        <location filename="../../gui/banner.py" line="+204"/>
        <source>The queue is paused. Queued jobs wait until you resume it.</source>
        <translation>Die Warteschlange ist angehalten. Wartende Aufträge warten, bis Sie sie fortsetzen.</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+33"/>
        <source>Resume</source>
        <translation>Fortsetzen</translation>
    </message>
    <message>
        <location line="-29"/>
        <source>Calling the provider…</source>
        <translation>Der Anbieter wird aufgerufen…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Calls are paced to stay within the provider&apos;s rate limits.</source>
        <translation>Die Aufrufe werden getaktet, um die Ratenbegrenzung des Anbieters einzuhalten.</translation>
    </message>
    <message numerus="yes">
        <location line="+5"/>
        <source>The queue is full: %n waiting job(s).</source>
        <translation>
            <numerusform>Die Warteschlange ist voll: %n wartender Auftrag.</numerusform>
            <numerusform>Die Warteschlange ist voll: %n wartende Aufträge.</numerusform>
        </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>New files are not added until some finish, or until you raise the limit (%1) in Settings.</source>
        <translation>Neue Dateien werden erst aufgenommen, wenn einige fertig sind oder Sie die Grenze (%1) in den Einstellungen erhöhen.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Settings…</source>
        <translation>Einstellungen…</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Open Settings…</source>
        <translation>Einstellungen öffnen…</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Paceline could not save an answer yet: trying again in %1.</source>
        <translation>Paceline konnte eine Antwort noch nicht speichern: neuer Versuch in %1.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The answer is kept meanwhile. %1</source>
        <translation>Die Antwort bleibt so lange erhalten. %1</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The server cannot be reached since %1: next try in %2.</source>
        <translation>Der Server ist seit %1 nicht erreichbar: nächster Versuch in %2.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The server cannot be reached: next try in %1.</source>
        <translation>Der Server ist nicht erreichbar: nächster Versuch in %1.</translation>
    </message>
    <message numerus="yes">
        <location line="+3"/>
        <source>Backing off after %n failed call(s): next try in %1.</source>
        <translation>
            <numerusform>Pause nach %n fehlgeschlagenen Aufruf: nächster Versuch in %1.</numerusform>
            <numerusform>Pause nach %n fehlgeschlagenen Aufrufen: nächster Versuch in %1.</numerusform>
        </translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The server asked Paceline to wait: next call in %1.</source>
        <translation>Der Server hat um Geduld gebeten: nächster Aufruf in %1.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Throttled to stay within the rate limit: next call in %1.</source>
        <translation>Gedrosselt, um die Ratenbegrenzung einzuhalten: nächster Aufruf in %1.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Pausing between calls: next call in %1.</source>
        <translation>Pause zwischen den Aufrufen: nächster Aufruf in %1.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Last error: %1. %2</source>
        <translation>Letzter Fehler: %1. %2</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Retry now</source>
        <translation>Sofort versuchen</translation>
    </message>
</context>
<context>
    <name>QueueWatch</name>
    <message>
        <location filename="../../gui/queue_watch.py" line="+77"/>
        <source>%1 done, %2 failed</source>
        <translation>%1 erledigt, %2 fehlgeschlagen</translation>
    </message>
    <message numerus="yes">
        <location line="+3"/>
        <source>%n done</source>
        <translation>
            <numerusform>%n erledigt</numerusform>
            <numerusform>%n erledigt</numerusform>
        </translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+30"/>
        <source>%1 · %2</source>
        <translation>%1 · %2</translation>
    </message>
    <message>
        <location line="-26"/>
        <source>The queue&apos;s calls are done</source>
        <translation>Die Aufrufe der Warteschlange sind erledigt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The queue is empty</source>
        <translation>Die Warteschlange ist leer</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Paceline — the queue is empty</source>
        <translation>Paceline – die Warteschlange ist leer</translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>Paceline — paused, %n job(s) waiting</source>
        <translation>
            <numerusform>Paceline – angehalten, %n Auftrag wartet</numerusform>
            <numerusform>Paceline – angehalten, %n Aufträge warten</numerusform>
        </translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Paceline — %1 of %2 done</source>
        <translation>Paceline – %1 von %2 erledigt</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Paceline — %1 of %2 done, ETA %3</source>
        <translation>Paceline – %1 von %2 erledigt, Restzeit %3</translation>
    </message>
</context>
<context>
    <name>ReasonDelegate</name>
    <message>
        <location filename="../../gui/reason_delegate.py" line="+63"/>
        <source>Re-trigger</source>
        <translation>Neu anstoßen</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Paid call may have been charged</source>
        <translation>Aufruf evtl. bezahlt</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stopped while running</source>
        <translation>Beim Laufen gestoppt</translation>
    </message>
</context>
<context>
    <name>SafeTextBrowser</name>
    <message>
        <location filename="../../gui/detail_pane.py" line="-349"/>
        <source>Open link</source>
        <translation>Link öffnen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The answer links to:

%1

Open it in your browser?</source>
        <translation>Die Antwort verweist auf:

%1

Im Browser öffnen?</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../gui/settings_dialog.py" line="+68"/>
        <source>Paceline Settings</source>
        <translation>Paceline-Einstellungen</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Provider</source>
        <translation>Anbieter</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pacing</source>
        <translation>Taktung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Queue</source>
        <translation>Warteschlange</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Profiles</source>
        <translation>Profile</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Folders</source>
        <translation>Ordner</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Desktop</source>
        <translation>Arbeitsplatz</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>Offline analyzer (no key, no network)</source>
        <translation>Offline-Analyse (ohne Schlüssel, ohne Netz)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>OpenAI-compatible API</source>
        <translation>OpenAI-kompatible API</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Analyzer:</source>
        <translation>Analyse:</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Service:</source>
        <translation>Dienst:</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>API base URL:</source>
        <translation>API-Basis-URL:</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Fetch list</source>
        <translation>Liste abrufen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Ask the server which models it offers</source>
        <translation>Den Server fragen, welche Modelle er anbietet</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Model:</source>
        <translation>Modell:</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Show key</source>
        <translation>Schlüssel zeigen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Forget stored key</source>
        <translation>Gespeicherten Schlüssel vergessen</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>API key:</source>
        <translation>API-Schlüssel:</translation>
    </message>
    <message>
        <location line="+10"/>
        <location line="+92"/>
        <source> characters</source>
        <translation> Zeichen</translation>
    </message>
    <message>
        <location line="-89"/>
        <source>Longer documents are split into parts of this size; each part is one call.</source>
        <translation>Längere Dokumente werden in Teile dieser Größe zerlegt; jeder Teil ist ein Aufruf.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Part size:</source>
        <translation>Teilgröße:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Automatic (from the model&apos;s name)</source>
        <translation>Automatisch (nach dem Modellnamen)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Yes</source>
        <translation>Ja</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No</source>
        <translation>Nein</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Scanned PDFs and pictures of pages are sent as images to a model that reads them, such as Qwen-VL, Qwen-OCR or GPT-4o. Say Yes for such a model whose name Paceline does not know.</source>
        <translation>Gescannte PDFs und Bilder von Seiten werden als Bilder an ein Modell gesendet, das sie lesen kann, etwa Qwen-VL, Qwen-OCR oder GPT-4o. Wählen Sie Ja für ein solches Modell, dessen Namen Paceline nicht kennt.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Model reads images:</source>
        <translation>Modell liest Bilder:</translation>
    </message>
    <message>
        <location line="+5"/>
        <source> tokens</source>
        <translation> Tokens</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The longest answer a call may return (max_tokens). An answer cut at this limit is marked &quot;Done, cut off&quot;.</source>
        <translation>Die längste Antwort, die ein Aufruf liefern darf (max_tokens). Eine an dieser Grenze abgeschnittene Antwort wird als „Fertig, abgeschnitten“ markiert.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Output limit:</source>
        <translation>Ausgabegrenze:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>How long one call may take before it is given up and retried.</source>
        <translation>Wie lange ein Aufruf dauern darf, bevor er aufgegeben und wiederholt wird.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Call timeout:</source>
        <translation>Zeitlimit je Aufruf:</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Fixed pause between calls</source>
        <translation>Feste Pause zwischen Aufrufen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Adaptive (follow the provider&apos;s rate-limit headers)</source>
        <translation>Adaptiv (folgt den Ratenangaben des Anbieters)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Pacing:</source>
        <translation>Taktung:</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Pause between calls:</source>
        <translation>Pause zwischen Aufrufen:</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Automatic</source>
        <translation>Automatisch</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Calls at once (adaptive):</source>
        <translation>Gleichzeitige Aufrufe (adaptiv):</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Backoff after a failure, first wait:</source>
        <translation>Wartezeit nach einem Fehler, zu Beginn:</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Backoff, longest wait:</source>
        <translation>Wartezeit nach Fehlern, höchstens:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Attempts per job:</source>
        <translation>Versuche pro Auftrag:</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A server&apos;s Retry-After always wins over the backoff. The offline analyzer is never paced.</source>
        <translation>Ein Retry-After des Servers hat immer Vorrang vor der Wartezeit. Die Offline-Analyse wird nie getaktet.</translation>
    </message>
    <message>
        <location line="+12"/>
        <source> waiting jobs</source>
        <translation> wartende Aufträge</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Queue limit:</source>
        <translation>Grenze der Warteschlange:</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>drops of more than </source>
        <translation>bei mehr als </translation>
    </message>
    <message>
        <location line="+1"/>
        <source> documents</source>
        <translation> Dokumenten auf einmal</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>never by itself</source>
        <translation>nie von selbst</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Send drops of more than this many documents to the provider&apos;s Batch API: half the price, answers within 24 hours. 0 means never by itself; selected queued jobs can still be sent with Job → Send as batch.</source>
        <translation>Kommen mehr als so viele Dokumente auf einmal hinzu, gehen sie an die Batch-API des Anbieters: halber Preis, Antworten binnen 24 Stunden. 0 heißt nie von selbst; gewählte wartende Aufträge lassen sich weiter mit Auftrag → Als Batch senden schicken.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Send as a batch:</source>
        <translation>Als Batch senden:</translation>
    </message>
    <message>
        <location line="+4"/>
        <source> MB</source>
        <translation> MB</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Largest document:</source>
        <translation>Größtes Dokument:</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>A document with more text is refused before any call: each part of it is paid.</source>
        <translation>Ein Dokument mit mehr Text wird vor jedem Aufruf abgelehnt: Jeder seiner Teile kostet.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Most text per document:</source>
        <translation>Maximale Textmenge je Dokument:</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Used for the cost shown in the status bar</source>
        <translation>Für die Kosten in der Statusleiste</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Price per 1,000 tokens:</source>
        <translation>Preis pro 1.000 Tokens:</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Profile for new documents:</source>
        <translation>Profil für neue Dokumente:</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Add</source>
        <translation>Hinzufügen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Remove</source>
        <translation>Entfernen</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Name:</source>
        <translation>Name:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Prompt:</source>
        <translation>Anweisung:</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Keep running in the tray when the window is closed</source>
        <translation>Nach dem Schließen des Fensters im Infobereich weiterlaufen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Closing:</source>
        <translation>Schließen:</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>This desktop has no system tray: closing the window quits Paceline.</source>
        <translation>Diese Arbeitsumgebung hat keinen Infobereich: Das Schließen des Fensters beendet Paceline.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Show a notification when the queue is empty</source>
        <translation>Benachrichtigen, wenn die Warteschlange leer ist</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Notifications:</source>
        <translation>Benachrichtigungen:</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>As the system (%1)</source>
        <translation>Wie das System (%1)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Language:</source>
        <translation>Sprache:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A new language is used from the next start of Paceline.</source>
        <translation>Eine neue Sprache gilt ab dem nächsten Start von Paceline.</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>None</source>
        <translation>Keine</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Beside each document (report.pdf.summary.md)</source>
        <translation>Neben jedem Dokument (report.pdf.summary.md)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>In an output folder</source>
        <translation>In einem Ausgabeordner</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Result files:</source>
        <translation>Ergebnisdateien:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Where result files go</source>
        <translation>Wohin die Ergebnisdateien kommen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Browse…</source>
        <translation>Durchsuchen…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Output folder:</source>
        <translation>Ausgabeordner:</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Markdown (.md)</source>
        <translation>Markdown-Datei (.md)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>JSON (.json)</source>
        <translation>JSON-Datei (.json)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Format:</source>
        <translation>Dateiformat:</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Replace files of that name that Paceline did not write</source>
        <translation>Gleichnamige Dateien ersetzen, die Paceline nicht geschrieben hat</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Existing files:</source>
        <translation>Vorhandene Dateien:</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Each file is written whole or not at all. Without the box above, a file Paceline did not write (or that was edited since) is left as it is, and the job&apos;s log says so. Watch folders are listed in the window&apos;s Folders pane (View → Folders); each can choose its own result files.</source>
        <translation>Jede Datei wird ganz oder gar nicht geschrieben. Ohne das Häkchen oben bleibt eine Datei, die Paceline nicht geschrieben hat (oder die seitdem bearbeitet wurde), wie sie ist, und das Protokoll des Auftrags sagt es. Die überwachten Ordner stehen im Bereich „Ordner“ des Fensters (Ansicht → Ordner); jeder kann eigene Ergebnisdateien wählen.</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Output folder</source>
        <translation>Ausgabeordner</translation>
    </message>
    <message>
        <location line="+9"/>
        <source> s</source>
        <translation> s</translation>
    </message>
    <message>
        <location line="+130"/>
        <location line="+9"/>
        <source>These settings cannot be saved.</source>
        <translation>Diese Einstellungen können nicht gespeichert werden.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 is plain http:// to a host outside this computer and its local network: the API key would travel unencrypted. Use an https:// address, or forget the key if this server needs none.</source>
        <translation>%1 ist unverschlüsseltes http:// zu einem Rechner außerhalb dieses Computers und seines lokalen Netzes: Der API-Schlüssel würde unverschlüsselt übertragen. Verwenden Sie eine https://-Adresse oder vergessen Sie den Schlüssel, wenn dieser Server keinen braucht.</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>The settings could not be written.</source>
        <translation>Die Einstellungen konnten nicht geschrieben werden.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1. Check that %2 is writable.</source>
        <translation>%1. Prüfen Sie, ob %2 beschreibbar ist.</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Set by the environment variable %1, which wins over this setting.</source>
        <translation>Von der Umgebungsvariablen %1 vorgegeben, die Vorrang vor dieser Einstellung hat.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Set by the environment: %1. These values win over the saved ones and are shown greyed out below. To change them here, unset the variables and start Paceline again.</source>
        <translation>Von der Umgebung gesetzt: %1. Diese Werte haben Vorrang vor den gespeicherten und werden unten ausgegraut gezeigt. Um sie hier zu ändern, entfernen Sie die Variablen und starten Sie Paceline neu.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Calls go to: not set up yet (see below).</source>
        <translation>Aufrufe gehen an: noch nicht eingerichtet (siehe unten).</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Documents are analysed on this computer by the offline analyzer; nothing is sent anywhere.</source>
        <translation>Dokumente werden auf diesem Computer von der Offline-Analyse untersucht; nichts wird irgendwohin gesendet.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Calls go to: no API base URL yet.</source>
        <translation>Aufrufe gehen an: noch keine API-Basis-URL.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Calls go to: %1</source>
        <translation>Aufrufe gehen an: %1</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>https://…/v1 (required)</source>
        <translation>https://…/v1 (erforderlich)</translation>
    </message>
    <message>
        <location line="+40"/>
        <source>A key for %1 is stored in the system keyring. Type a new one to replace it.</source>
        <translation>Ein Schlüssel für %1 ist im Schlüsselbund des Systems gespeichert. Geben Sie einen neuen ein, um ihn zu ersetzen.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>A key for %1 is stored in a file only you can read. Type a new one to replace it.</source>
        <translation>Ein Schlüssel für %1 ist in einer Datei gespeichert, die nur Sie lesen können. Geben Sie einen neuen ein, um ihn zu ersetzen.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>No key stored for %1 yet. It is kept in the system keyring (or a private file), never in the settings file, and sent only to %1.</source>
        <translation>Noch kein Schlüssel für %1 gespeichert. Er wird im Schlüsselbund des Systems (oder einer privaten Datei) aufbewahrt, nie in der Einstellungsdatei, und nur an %1 gesendet.</translation>
    </message>
    <message>
        <location line="-69"/>
        <location line="+25"/>
        <source>first model the server lists</source>
        <translation>erstes Modell, das der Server nennt</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>The stored key will be removed when you save.</source>
        <translation>Der gespeicherte Schlüssel wird beim Speichern entfernt.</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>A key is kept for the host it was entered for and sent only there.</source>
        <translation>Ein Schlüssel gehört zu dem Server, für den er eingegeben wurde, und wird nur dorthin gesendet.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The key comes from the environment variable %1, which wins over a stored key.</source>
        <translation>Der Schlüssel stammt aus der Umgebungsvariablen %1, die Vorrang vor einem gespeicherten Schlüssel hat.</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Local servers usually need no key.</source>
        <translation>Lokale Server brauchen meist keinen Schlüssel.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>stored</source>
        <translation>gespeichert</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>none</source>
        <translation>keiner</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Fetching the model list</source>
        <translation>Abrufen der Modellliste</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>The model list could not be fetched.</source>
        <translation>Die Modellliste konnte nicht abgerufen werden.</translation>
    </message>
    <message numerus="yes">
        <location line="+9"/>
        <source>%n model(s) available.</source>
        <translation>
            <numerusform>%n Modell verfügbar.</numerusform>
            <numerusform>%n Modelle verfügbar.</numerusform>
        </translation>
    </message>
    <message>
        <location line="+13"/>
        <source>%1 (built-in)</source>
        <translation>%1 (eingebaut)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>%1 (edited)</source>
        <translation>%1 (bearbeitet)</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>Jobs keep the prompt they were queued with; changes apply to new jobs.</source>
        <translation>Aufträge behalten die Anweisung, mit der sie eingereiht wurden; Änderungen gelten für neue Aufträge.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Built-in profiles cannot be changed. Add your own to use another prompt.</source>
        <translation>Eingebaute Profile lassen sich nicht ändern. Legen Sie ein eigenes an, um eine andere Anweisung zu verwenden.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>My profile %1</source>
        <translation>Mein Profil %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Analyse the following document.</source>
        <translation>Analysiere das folgende Dokument.</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>A profile with that name exists already.</source>
        <translation>Ein Profil mit diesem Namen gibt es bereits.</translation>
    </message>
</context>
<context>
    <name>StatusSummaryBar</name>
    <message>
        <location filename="../../gui/status_bar.py" line="+30"/>
        <source>Queue empty</source>
        <translation>Warteschlange leer</translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>Paused: %n job(s) waiting</source>
        <translation>
            <numerusform>Angehalten: %n Auftrag wartet</numerusform>
            <numerusform>Angehalten: %n Aufträge warten</numerusform>
        </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>ETA unknown</source>
        <translation>Restzeit unbekannt</translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>ETA %1 for %n job(s)</source>
        <translation>
            <numerusform>Restzeit %1 für %n Auftrag</numerusform>
            <numerusform>Restzeit %1 für %n Aufträge</numerusform>
        </translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 · %2</source>
        <translation>%1 · %2</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 done · %2 failed · %3 stale</source>
        <translation>%1 erledigt · %2 fehlgeschlagen · %3 unterbrochen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 tokens</source>
        <translation>%1 Tokens</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 · cost %2</source>
        <translation>%1 · Kosten %2</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Price per 1,000 tokens: %1 (set in Settings)</source>
        <translation>Preis pro 1.000 Tokens: %1 (in den Einstellungen festgelegt)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1
%2 of the tokens went through batches, at half the price</source>
        <translation>%1
%2 der Tokens liefen über Batches, zum halben Preis</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Unknown service %1: choose one in Settings</source>
        <translation>Unbekannter Dienst %1: Wählen Sie einen in den Einstellungen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1, %2 pacing</source>
        <translation>%1, %2 Taktung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>adaptive</source>
        <translation>adaptive</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>fixed</source>
        <translation>feste</translation>
    </message>
</context>
<context>
    <name>StatusTabs</name>
    <message>
        <location filename="../../gui/status_tabs.py" line="+39"/>
        <source>All</source>
        <translation>Alle</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
</context>
<context>
    <name>SummaryRefresher</name>
    <message>
        <location filename="../../gui/queue_summary.py" line="+165"/>
        <source>Reading the queue&apos;s totals</source>
        <translation>Lesen der Summen der Warteschlange</translation>
    </message>
</context>
<context>
    <name>TrayIcon</name>
    <message>
        <location filename="../../gui/tray.py" line="+27"/>
        <source>&amp;Show Paceline</source>
        <translation>Paceline &amp;anzeigen</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Paceline</source>
        <translation>Paceline</translation>
    </message>
</context>
<context>
    <name>WatchFolderDialog</name>
    <message>
        <location filename="../../gui/watch_folder_dialog.py" line="+21"/>
        <source>Watch a folder</source>
        <translation>Einen Ordner überwachen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Watch folder options</source>
        <translation>Optionen des überwachten Ordners</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Folder to watch</source>
        <translation>Zu überwachender Ordner</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>The folder to watch</source>
        <translation>Der zu überwachende Ordner</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Folder:</source>
        <translation>Ordner:</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Profile:</source>
        <translation>Profil:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Also documents in its subfolders</source>
        <translation>Auch Dokumente in seinen Unterordnern</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>All documents (or e.g. *.pdf;*.docx)</source>
        <translation>Alle Dokumente (oder z. B. *.pdf;*.docx)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Files:</source>
        <translation>Dateien:</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+10"/>
        <source>As in Settings → Folders</source>
        <translation>Wie unter Einstellungen → Ordner</translation>
    </message>
    <message>
        <location line="-9"/>
        <source>None</source>
        <translation>Keine</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Beside each document</source>
        <translation>Neben jedem Dokument</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>In an output folder</source>
        <translation>In einem Ausgabeordner</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Result files:</source>
        <translation>Ergebnisdateien:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Output folder</source>
        <translation>Ausgabeordner</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Where result files go</source>
        <translation>Wohin die Ergebnisdateien kommen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Output folder:</source>
        <translation>Ausgabeordner:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Markdown (.md)</source>
        <translation>Markdown-Datei (.md)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>JSON (.json)</source>
        <translation>JSON-Datei (.json)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Format:</source>
        <translation>Dateiformat:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Move done documents to</source>
        <translation>Fertige Dokumente verschieben nach</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+3"/>
        <source>Leave them where they are</source>
        <translation>Dort lassen, wo sie sind</translation>
    </message>
    <message>
        <location line="-2"/>
        <source>Move done documents to:</source>
        <translation>Fertige Dokumente verschieben nach:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Move failed documents to</source>
        <translation>Fehlgeschlagene Dokumente verschieben nach</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Move failed documents to:</source>
        <translation>Fehlgeschlagene verschieben nach:</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>Choose the folder to watch.</source>
        <translation>Wählen Sie den zu überwachenden Ordner.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Saving the watch folder</source>
        <translation>Überwachten Ordner speichern</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>This folder cannot be watched.</source>
        <translation>Dieser Ordner kann nicht überwacht werden.</translation>
    </message>
</context>
</TS>
